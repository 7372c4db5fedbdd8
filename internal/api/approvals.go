package api

import (
	"net/http"

	"fixgate/internal/approval"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type approvalOut = approval.Approval

type verdictOut = approval.Verdict

// approvers may decide about releases and changes, strongest role first:
// the acting role recorded by default is the first one the caller holds.
var approvers = approval.Roles

// approvalIn is one decision. Role is optional (default: the strongest
// approving role the caller holds); Revision (or If-Match), when given,
// must be the record's current revision: the approver decides about what
// they read.
type approvalIn struct {
	Record   string `json:"record"`
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
	Role     string `json:"role"`
	Revision int64  `json:"revision"`
}

func (s *Server) createApproval(w http.ResponseWriter, r *http.Request, c *call) error {
	var in approvalIn
	if err := decode(r, &in); err != nil {
		return err
	}
	role, err := approval.ActingRole(c.principal.Roles, in.Role)
	if err != nil {
		return err
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	actor := c.actor
	actor.Role = string(role)
	x, err := s.store.CreateApproval(r.Context(), actor, approval.Approval{Record: in.Record, Decision: in.Decision,
		Comment: in.Comment}, rev)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ApprovalFilter{Page: pg, Record: q.Get("record"), Approver: q.Get("approver")}
	items, err := s.store.ListApprovals(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Approval, func(x approval.Approval) string { return x.ID })
}

func (s *Server) getApproval(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Approval.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	x, err := s.store.GetApproval(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, x)
}

// approvalVerdict answers what the approvals of ?record= amount to at its current revision.
func (s *Server) approvalVerdict(w http.ResponseWriter, r *http.Request, c *call) error {
	rec := r.URL.Query().Get("record")
	if rec == "" {
		return fault.Field("record", "is required (REL-n or CHG-n)")
	}
	v, err := s.store.ApprovalVerdict(r.Context(), rec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

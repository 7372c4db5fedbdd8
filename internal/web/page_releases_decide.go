package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"fixgate/internal/api"
	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// POST /releases/{id}/approve and /reject: the decision form of the release
// page, through store.CreateApproval as POST /api/v1/approvals, with the
// revision the page was rendered at as its ifRev.

// decision is a posted approve/reject form.
type decision struct {
	Revision int64
	Comment  string
	Role     string
}

// readDecision reads the form's revision (required: the person decides
// about what they read), comment and optional role.
func readDecision(r *http.Request) (decision, error) {
	if err := r.ParseForm(); err != nil {
		return decision{}, fault.Field("form", "cannot read the form: %v", err)
	}
	d := decision{Comment: r.PostForm.Get("comment"), Role: r.PostForm.Get("role")}
	rev, err := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if err != nil || rev < 1 {
		return d, fault.Field("revision", "is required: reload the page and decide again")
	}
	d.Revision = rev
	return d, nil
}

// actingActor returns v's actor in the approving role the form names, or
// the strongest one v holds (approval.ActingRole, as the API).
func actingActor(v *visit, role string) (audit.Actor, error) {
	a := v.actor
	ro, err := approval.ActingRole(v.principal.Roles, role)
	if err != nil {
		return a, err
	}
	a.Role = string(ro)
	return a, nil
}

func (s *Server) releaseDecide(decision string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		id, err := ident.Release.Parse("id", r.PathValue("id"))
		if err != nil {
			return err
		}
		in, err := readDecision(r)
		if err != nil {
			return s.releaseRefused(w, r, v, id, in, v.actor, err)
		}
		a, err := actingActor(v, in.Role)
		if err != nil {
			return s.releaseRefused(w, r, v, id, in, v.actor, err)
		}
		x, err := s.store.CreateApproval(r.Context(), a, approval.Approval{Record: ident.Release.Format(id), Decision: decision,
			Comment: in.Comment}, in.Revision)
		if err != nil {
			return s.releaseRefused(w, r, v, id, in, a, err)
		}
		done := x.ID + ": " + pastTense(decision) + " " + x.Record + " as " + x.Role
		http.Redirect(w, r, "/releases/"+x.Record+"?done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
}

func pastTense(decision string) string {
	if decision == approval.Reject {
		return "rejected"
	}
	return "approved"
}

// releaseRefused answers a decision the store refused: the release page
// again, as it stands now, with the reason (and the API's status for it),
// the comment kept, and for a stale form what changed since its revision.
// A refusal by rule (separation of duties, role) is audited as the API
// audits it. Errors that are not the person's to fix get the error page.
func (s *Server) releaseRefused(w http.ResponseWriter, r *http.Request, v *visit, id int64, in decision, a audit.Actor, err error) error {
	if !personal(err) {
		return err
	}
	err = s.refused(r, a, err)
	d, lerr := s.loadRelease(r.Context(), r, v, id)
	if lerr != nil {
		return lerr
	}
	d.Decide.Comment = in.Comment
	fe := fault.As(err)
	msg := fe.Message
	if stale(err) {
		if d.Changed, lerr = s.changedSince(r.Context(), "release", d.Release.ID, in.Revision); lerr != nil {
			return lerr
		}
		msg = d.Release.ID + " changed since the page was loaded (revision " + strconv.FormatInt(in.Revision, 10) +
			", now " + strconv.FormatInt(d.Release.Revision, 10) + "): nothing was recorded; read it again and decide"
	}
	return s.renderView(w, r, v, api.StatusOf(err), "release.html", &view{Title: d.Release.ID + " " + d.Release.Version,
		Path: r.URL.Path, Data: d, Error: msg, Field: fe.Field})
}

// maxChanged bounds the events listed as "changed since".
const maxChanged = 20

// changedSince returns the audit events of one record after revision rev.
func (s *Server) changedSince(ctx context.Context, recordType, id string, rev int64) ([]audit.Event, error) {
	return s.store.AuditEventsAfter(ctx, recordType, id, rev, maxChanged)
}

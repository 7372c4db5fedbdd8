package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// The roles of the problem actions that routes.go's shared lists lack
// (as the API routes they mirror declare them).
var (
	problemValidators = []auth.Role{auth.ProblemManager}
	problemClosers    = []auth.Role{auth.ProblemManager, auth.Admin}
	fixConfirmers     = []auth.Role{auth.Validator}
)

// formFailure is why an action saved nothing, shown on the record's page.
type formFailure struct {
	msg, field string
	changed    []changeLine
}

// changeLine is one audited change made after the revision a form was loaded at.
type changeLine struct {
	At       time.Time
	Actor    string
	Role     string
	Action   string
	Revision int64
}

// problemForm parses an action's form: the problem's id and the revision
// the form was rendered at (required when needRev).
func problemForm(r *http.Request, needRev bool) (int64, int64, error) {
	id, err := problemID(r)
	if err != nil {
		return 0, 0, err
	}
	if err := r.ParseForm(); err != nil {
		return 0, 0, fault.Field("form", "cannot read the form: %v", err)
	}
	x := strings.TrimSpace(r.PostForm.Get("revision"))
	if x == "" && !needRev {
		return id, 0, nil
	}
	rev, err := strconv.ParseInt(x, 10, 64)
	if err != nil || rev < 1 {
		return 0, 0, fault.Field("revision", "the form carries no revision; reload the page")
	}
	return id, rev, nil
}

// problemFailed shows why an action on problem id saved nothing on the
// problem's page, with the API's status: a stale revision (412) with the
// changes since rev, a refusal (403, audited as access.denied), invalid
// input (400) or a conflict (409). Other errors go to the error page.
func (s *Server) problemFailed(w http.ResponseWriter, r *http.Request, v *visit, id, rev int64, err error) error {
	fe := fault.As(err)
	if fe == nil {
		return err
	}
	status, f := api.StatusOf(err), &formFailure{msg: fe.Message, field: fe.Field}
	if fe.Field != "" {
		f.msg = fe.Field + ": " + fe.Message
	}
	switch fe.Code {
	case fault.Forbidden:
		if rerr := s.refused(r, v.actor, err); rerr != err {
			return rerr
		}
	case fault.PreconditionFailed:
		if cur, ok := fe.Extra["current_revision"]; ok {
			f.msg = fmt.Sprintf("%s changed since this form was loaded at revision %d (it is at revision %v now): nothing was saved. "+
				"The page shows the current state; check it and send the form again.", ident.Problem.Format(id), rev, cur)
			var cerr error
			if f.changed, cerr = s.changesSince(r.Context(), "problem", ident.Problem.Format(id), rev); cerr != nil {
				return cerr
			}
		}
	case fault.Invalid, fault.Conflict:
	default:
		return err
	}
	return s.problemPage(w, r, v, id, status, f)
}

// changesSince returns the audited changes of a record made after revision
// rev, oldest first (at most the latest 20; index audit_events_record_at).
func (s *Server) changesSince(ctx context.Context, recordType, recordID string, rev int64) ([]changeLine, error) {
	evs, err := s.store.ListAuditEvents(ctx, store.AuditFilter{RecordType: recordType, RecordID: recordID, Limit: 20})
	if err != nil {
		return nil, err
	}
	var out []changeLine
	for _, e := range evs {
		if e.RecordVersion > rev {
			out = append(out, changeLine{At: e.At, Actor: e.Actor, Role: e.Role, Action: e.Action, Revision: e.RecordVersion})
		}
	}
	slices.Reverse(out)
	return out, nil
}

// moveProblem moves a problem along its lifecycle as POST
// /api/v1/problems/{id}/transitions does: to resolved by hand only with a
// deviation (store.ResolveProblem), else the domain move (problem.Move).
func (s *Server) moveProblem(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, rev, err := problemForm(r, true)
	if err != nil {
		return err
	}
	to := r.PostForm.Get("to")
	var p problem.Problem
	switch {
	case to == "":
		err = fault.Field("to", "choose the state to move to")
	case to == problem.Resolved:
		var dev *problem.Deviation
		if reason, by := strings.TrimSpace(r.PostForm.Get("deviation_reason")), strings.TrimSpace(r.PostForm.Get("deviation_approved_by")); reason != "" || by != "" {
			dev = &problem.Deviation{Reason: reason, ApprovedBy: by}
		}
		p, err = s.store.ResolveProblem(r.Context(), v.actor, id, rev, dev)
	default:
		pol, _, perr := s.cfg.Policy(r.Context())
		if perr != nil {
			return perr
		}
		p, err = s.store.UpdateProblem(r.Context(), v.actor, id, rev, "problem.move", func(p *problem.Problem, pc store.ProblemContext) error {
			return p.Move(to, v.principal.User, pc.Now, pol.Observation(p.Priority))
		})
	}
	if err != nil {
		return s.problemFailed(w, r, v, id, rev, err)
	}
	return seeDone(w, r, "/problems/"+p.ID, p.ID+" moved to "+p.Status+".")
}

// recordRCA records the root cause analysis as PUT /api/v1/problems/{id}/rca
// does (its document, if any, is kept).
func (s *Server) recordRCA(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, rev, err := problemForm(r, true)
	if err != nil {
		return err
	}
	pol, _, err := s.cfg.Policy(r.Context())
	if err != nil {
		return err
	}
	category, summary := r.PostForm.Get("category"), r.PostForm.Get("summary")
	p, err := s.store.UpdateProblem(r.Context(), v.actor, id, rev, "problem.rca", func(p *problem.Problem, pc store.ProblemContext) error {
		return p.RecordRCA(category, summary, p.RCA.DocSHA256, v.principal.User, pc.Now, pol.RootCauseCategories)
	})
	if err != nil {
		return s.problemFailed(w, r, v, id, rev, err)
	}
	return seeDone(w, r, "/problems/"+p.ID, "Root cause analysis of "+p.ID+" recorded; it needs validation by another problem manager.")
}

// validateRCA validates the current RCA as POST
// /api/v1/problems/{id}/rca/validations does; its author is refused.
func (s *Server) validateRCA(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, rev, err := problemForm(r, true)
	if err != nil {
		return err
	}
	p, _, err := s.store.ValidateRCA(r.Context(), v.actor, id, rev, r.PostForm.Get("comment"))
	if err != nil {
		return s.problemFailed(w, r, v, id, rev, err)
	}
	return seeDone(w, r, "/problems/"+p.ID, "Root cause analysis of "+p.ID+" validated.")
}

// closeProblem closes a resolved problem as POST /api/v1/problems/{id}/close
// does: refused (412) with every missing condition.
func (s *Server) closeProblem(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, rev, err := problemForm(r, true)
	if err != nil {
		return err
	}
	p, err := s.store.CloseProblem(r.Context(), v.actor, id, rev, r.PostForm.Get("comment"))
	if err != nil {
		return s.problemFailed(w, r, v, id, rev, err)
	}
	return seeDone(w, r, "/problems/"+p.ID, p.ID+" closed.")
}

// confirmFix records a validator's confirmation of the fix as POST
// /api/v1/problems/{id}/confirmations does; a member of the fix team is refused.
func (s *Server) confirmFix(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, _, err := problemForm(r, false)
	if err != nil {
		return err
	}
	c, err := s.store.ConfirmFix(r.Context(), v.actor, id, r.PostForm.Get("comment"))
	if err != nil {
		return s.problemFailed(w, r, v, id, 0, err)
	}
	return seeDone(w, r, "/problems/"+c.Problem, "Fix of "+c.Problem+" confirmed.")
}

// addSignature adds a signature as POST /api/v1/problems/{id}/signatures does.
func (s *Server) addSignature(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, _, err := problemForm(r, false)
	if err != nil {
		return err
	}
	g, err := s.store.AddSignature(r.Context(), v.actor, id, r.PostForm.Get("matcher"))
	if err != nil {
		return s.problemFailed(w, r, v, id, 0, err)
	}
	return seeDone(w, r, "/problems/"+g.Problem, "Signature "+g.ID+" "+g.Matcher+" added.")
}

// removeSignature withdraws a signature as DELETE
// /api/v1/problems/{id}/signatures/{sig} does.
func (s *Server) removeSignature(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, _, err := problemForm(r, false)
	if err != nil {
		return err
	}
	sig, err := ident.Signature.Parse("sig", r.PathValue("sig"))
	if err != nil {
		return err
	}
	g, err := s.store.RemoveSignature(r.Context(), v.actor, id, sig)
	if err != nil {
		return s.problemFailed(w, r, v, id, 0, err)
	}
	return seeDone(w, r, "/problems/"+g.Problem, "Signature "+g.ID+" withdrawn.")
}

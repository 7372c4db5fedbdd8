package web

import (
	"net/http"
	"net/url"
	"strconv"

	"fixgate/internal/api"
	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
)

// POST /cab/{id}/decide: a decision of the board about a change on the
// meeting's agenda, through store.DecideInMeeting as POST
// /api/v1/cab/meetings/{id}/decisions, with the change's revision the
// board was rendered at as its ifRev.

func (s *Server) cabDecide(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := cab.Meeting.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	in, err := readDecision(r)
	form := cabForm{Change: r.PostForm.Get("change"), Comment: in.Comment}
	if err != nil {
		return s.cabRefused(w, r, v, id, form, in, v.actor, err)
	}
	a, err := actingActor(v, in.Role)
	if err != nil {
		return s.cabRefused(w, r, v, id, form, in, v.actor, err)
	}
	pol, _, err := s.cfg.Policy(r.Context())
	if err != nil {
		return err
	}
	x, err := s.store.DecideInMeeting(r.Context(), a, id, pol, approval.Approval{Record: form.Change,
		Decision: r.PostForm.Get("decision"), Comment: in.Comment}, in.Revision)
	if err != nil {
		return s.cabRefused(w, r, v, id, form, in, a, err)
	}
	done := x.ID + ": " + pastTense(x.Decision) + " " + x.Record + " in " + x.Meeting + " as " + x.Role
	http.Redirect(w, r, "/cab?"+url.Values{"meeting": {x.Meeting}, "done": {done}}.Encode(), http.StatusSeeOther)
	return nil
}

// cabRefused answers a decision the store refused with the board as it
// stands now, the reason and the API's status; for a stale form, what
// changed in the change since its revision. Refusals by rule are audited
// as the API audits them.
func (s *Server) cabRefused(w http.ResponseWriter, r *http.Request, v *visit, id int64, form cabForm, in decision, a audit.Actor, err error) error {
	if !personal(err) {
		return err
	}
	err = s.refused(r, a, err)
	d, lerr := s.loadCAB(r.Context(), r, v, cab.Meeting.Format(id))
	if lerr != nil {
		return lerr
	}
	d.Form = form
	fe := fault.As(err)
	msg := fe.Message
	if stale(err) {
		if d.Changed, lerr = s.changedSince(r.Context(), "change", form.Change, in.Revision); lerr != nil {
			return lerr
		}
		msg = form.Change + " changed since the board was loaded (revision " + strconv.FormatInt(in.Revision, 10) +
			"): nothing was recorded; read it again and decide"
	}
	return s.renderView(w, r, v, api.StatusOf(err), "cab.html", &view{Title: "CAB board", Path: r.URL.Path, Data: d,
		Error: msg, Field: fe.Field})
}

// personal reports whether err is a rule's answer to what the person sent
// (shown on the page) rather than a fault of the server or a missing record.
func personal(err error) bool {
	switch fault.CodeOf(err) {
	case fault.Forbidden, fault.PreconditionFailed, fault.Invalid, fault.Conflict:
		return true
	}
	return false
}

// stale reports whether err is a revision check's refusal (the record
// changed since the form was rendered).
func stale(err error) bool {
	fe := fault.As(err)
	if fe == nil || fe.Code != fault.PreconditionFailed {
		return false
	}
	_, ok := fe.Extra["current_revision"]
	return ok
}

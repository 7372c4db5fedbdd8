package web

import (
	"context"
	"net/http"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// problemRows bounds each list on a problem's page (incidents page by it).
const problemRows = 20

// previewWindow is how far back a signature preview looks.
const previewWindow = 30 * 24 * time.Hour

// problemHistory is everything a problem's page shows beside the record.
type problemHistory struct {
	Closure       store.ClosureCheck
	Validations   []store.RCAValidation
	Resolutions   []store.ProblemResolution
	Confirmations []store.Confirmation
	Incidents     []incident.Incident // newest first, one page
	IncidentCount int                 // up to store.CountCap
	Releases      []release.Release
	Deployments   []deploy.Deployment // newest first
	KnownErrors   []knownerror.KnownError
	PIRs          []pir.PIR
	Recurrences   []recurrenceEvent // newest first
	Signatures    []store.Signature // active; each links to its preview
}

type recurrenceEvent struct {
	At    time.Time
	Actor string
}

// problemView is the data of problem.html.
type problemView struct {
	P             problem.Problem
	H             problemHistory
	Timeline      []timelineEntry
	IncidentsNext string
	Moves         []string // the lifecycle moves from here, closed excepted (its own form)
	Categories    []string
	CountCap      int
	Can           problemActions
	Changed       []changeLine // after a stale form: what changed since its revision
}

// problemActions says which forms the reader may send (their pages' roles).
type problemActions struct {
	Move, RCA, Validate, Close, Confirm, Signatures bool
}

// problemDetail shows one problem with its timeline, closure conditions,
// RCA and signatures; ?incidents_before=INC-n pages through its incidents.
func (s *Server) problemDetail(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := problemID(r)
	if err != nil {
		return err
	}
	return s.problemPage(w, r, v, id, http.StatusOK, nil)
}

// problemPage renders problem id's page with status; fail (nil after a
// GET) says why the action that re-renders it saved nothing.
func (s *Server) problemPage(w http.ResponseWriter, r *http.Request, v *visit, id int64, status int, fail *formFailure) error {
	ctx := r.Context()
	p, err := s.store.GetProblem(ctx, id)
	if err != nil {
		return err
	}
	before, err := idParam(r.URL.Query(), "incidents_before", ident.Incident)
	if err != nil {
		return err
	}
	h, err := s.problemHistory(ctx, id, p, before)
	if err != nil {
		return err
	}
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return err
	}
	d := problemView{P: p, H: h, Timeline: problemTimeline(p, h), Categories: pol.RootCauseCategories, CountCap: store.CountCap,
		Can: problemActions{Move: s.allows(v, "POST /problems/{id}/move"), RCA: s.allows(v, "POST /problems/{id}/rca"),
			Validate: s.allows(v, "POST /problems/{id}/rca/validate"), Close: s.allows(v, "POST /problems/{id}/close"),
			Confirm: s.allows(v, "POST /problems/{id}/confirm"), Signatures: s.allows(v, "POST /problems/{id}/signatures")}}
	for _, m := range problem.Machine.Allowed(p.Status) {
		if m != problem.Closed {
			d.Moves = append(d.Moves, m)
		}
	}
	if len(h.Incidents) == problemRows {
		d.IncidentsNext = "/problems/" + p.ID + "?incidents_before=" + h.Incidents[len(h.Incidents)-1].ID + "#incidents"
	}
	vw := &view{Title: p.ID + " " + p.Title, Path: "/problems/" + p.ID, Data: &d, Flash: r.URL.Query().Get("done")}
	if fail != nil {
		vw.Flash, vw.Error, vw.Field, d.Changed = "", fail.msg, fail.field, fail.changed
	}
	return s.renderView(w, r, v, status, "problem.html", vw)
}

// problemHistory reads the records linked to problem p (number id), each
// list bounded, through the store's read methods the API also serves.
func (s *Server) problemHistory(ctx context.Context, id int64, p problem.Problem, before int64) (problemHistory, error) {
	var h problemHistory
	var err error
	steps := []func() error{
		func() error { h.Closure, err = s.store.CheckClosure(ctx, id); return err },
		func() error { h.Validations, err = s.store.RCAValidations(ctx, id); return err },
		func() error { h.Resolutions, err = s.store.ProblemResolutions(ctx, id); return err },
		func() error { h.Confirmations, err = s.store.ListConfirmations(ctx, id); return err },
		func() error {
			h.Incidents, h.IncidentCount, err = s.store.ProblemIncidents(ctx, id, before, problemRows)
			return err
		},
		func() error {
			h.Releases, err = s.store.ListReleases(ctx, store.ReleaseFilter{Problem: id, Page: store.Page{Limit: problemRows}})
			return err
		},
		func() error { h.Deployments, err = s.store.ProblemDeployments(ctx, id, problemRows); return err },
		func() error {
			h.KnownErrors, err = s.store.ListKnownErrors(ctx, store.KnownErrorFilter{Problem: id, Page: store.Page{Limit: problemRows}})
			return err
		},
		func() error {
			h.PIRs, err = s.store.ListPIRs(ctx, store.PIRFilter{Problem: id, Page: store.Page{Limit: problemRows}})
			return err
		},
		func() error { return s.problemRecurrences(ctx, p.ID, &h) },
		func() error { h.Signatures, err = s.store.ListSignatures(ctx, id); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return h, err
		}
	}
	return h, nil
}

// problemRecurrences reads the problem's latest reopenings by a recurrence
// (problem.recur audit events, index audit_events_record_at).
func (s *Server) problemRecurrences(ctx context.Context, prb string, h *problemHistory) error {
	evs, err := s.store.ListAuditEvents(ctx, store.AuditFilter{RecordType: "problem", RecordID: prb, Action: "problem.recur", Limit: problemRows})
	for _, e := range evs {
		h.Recurrences = append(h.Recurrences, recurrenceEvent{At: e.At, Actor: e.Actor})
	}
	return err
}

package api

import (
	"net/http"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/store"
)

// Roles of the incident, known error and PIR routes (declared in routes.go).
var (
	incidentRW   = []auth.Role{auth.ProblemManager, auth.Engineer, auth.Admin, auth.Pipeline, auth.ReleaseManager}
	knownErrorRW = []auth.Role{auth.ProblemManager, auth.Engineer, auth.Admin}
	outcomeRW    = []auth.Role{auth.ProblemManager, auth.ReleaseManager, auth.Validator, auth.Engineer, auth.Admin, auth.Pipeline}
	pirRW        = []auth.Role{auth.ProblemManager, auth.ReleaseManager, auth.Validator, auth.Engineer, auth.Admin}
	pirMovers    = []auth.Role{auth.ProblemManager, auth.ReleaseManager, auth.Validator, auth.Admin}
)

type incidentOut = incident.Incident

type incidentCreate struct {
	Title       string     `json:"title"`
	Source      string     `json:"source"` // api (default), import, alertmanager
	CI          string     `json:"ci"`
	Env         string     `json:"env"`
	Severity    int        `json:"severity"`
	Labels      labels.Set `json:"labels"`
	Fingerprint string     `json:"fingerprint"`
	OpenedAt    *time.Time `json:"opened_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	ExternalID  string     `json:"external_id"`
	Problem     string     `json:"problem"`
	Deployment  string     `json:"deployment"`
}

type incidentPatch struct {
	Title       *string     `json:"title"`
	CI          *string     `json:"ci"`
	Env         *string     `json:"env"`
	Severity    *int        `json:"severity"`
	Labels      *labels.Set `json:"labels"`
	Fingerprint *string     `json:"fingerprint"`
	OpenedAt    *time.Time  `json:"opened_at"`
	Problem     *string     `json:"problem"`    // "" unlinks
	Deployment  *string     `json:"deployment"` // "" clears the attribution
	Revision    int64       `json:"revision"`
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	var in incidentCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	i := incident.Incident{Title: in.Title, Source: in.Source, CI: in.CI, Env: in.Env, Severity: in.Severity, Labels: in.Labels,
		Fingerprint: in.Fingerprint, ResolvedAt: in.ResolvedAt, ExternalID: in.ExternalID, Problem: in.Problem, Deployment: in.Deployment}
	if in.OpenedAt != nil {
		i.OpenedAt = *in.OpenedAt
	}
	out, err := s.store.CreateIncident(r.Context(), c.actor, i)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.IncidentFilter{Page: pg, Status: q.Get("status"), CI: q.Get("ci"), Env: q.Get("env")}
	if f.Status != "" && !incident.Machine.Known(f.Status) {
		return fault.Field("status", "unknown incident state %q", f.Status)
	}
	if f.Severity, err = queryInt(r, "severity", 1, 4); err != nil {
		return err
	}
	if f.Problem, err = queryID(r, "problem", ident.Problem); err != nil {
		return err
	}
	if f.Since, err = queryTime(r, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(r, "until"); err != nil {
		return err
	}
	items, err := s.store.ListIncidents(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Incident, func(x incident.Incident) string { return x.ID })
}

// queryID parses an optional record id query parameter ("PRB-3").
func queryID(r *http.Request, name string, k ident.Kind) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	return k.Parse(name, v)
}

// queryTime parses an optional RFC 3339 query parameter with a zone.
func queryTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, fault.Field(name, "%q is not an RFC 3339 time with a zone (e.g. 2026-03-01T22:00:00Z)", v)
	}
	return t, nil
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Incident, s.store.GetIncident, func(x incident.Incident) int64 { return x.Revision })
}

func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	var in incidentPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateIncident(w, r, c, in.Revision, true, "incident.update", func(i *incident.Incident, _ store.IncidentContext) error {
		setIf(&i.Title, in.Title)
		setIf(&i.CI, in.CI)
		setIf(&i.Env, in.Env)
		setIf(&i.Severity, in.Severity)
		setIf(&i.Labels, in.Labels)
		setIf(&i.Fingerprint, in.Fingerprint)
		setIf(&i.OpenedAt, in.OpenedAt)
		setIf(&i.Problem, in.Problem)
		setIf(&i.Deployment, in.Deployment)
		return nil
	})
}

func (s *Server) moveIncident(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	return s.updateIncident(w, r, c, in.Revision, false, "incident.move", func(i *incident.Incident, ic store.IncidentContext) error {
		return i.Move(in.To, ic.Now)
	})
}

// updateIncident runs fn on the incident named in the path, guarded by the
// revision the caller read (required when strict).
func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*incident.Incident, store.IncidentContext) error) error {
	return answerUpdate(w, r, ident.Incident, bodyRev, strict, http.StatusOK, func(id, rev int64) (incident.Incident, error) {
		return s.store.UpdateIncident(r.Context(), c.actor, id, rev, action, fn)
	}, func(x incident.Incident) int64 { return x.Revision })
}

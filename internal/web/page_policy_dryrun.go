package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// GET /policy/dry-run?release=REL-n&env=NAME&at=TIME&version=N: what the
// gate would answer for a deployment of the release to the environment at
// a time (empty: now), under a stored policy version (empty: the one in
// force). The records are read as they stand now; the time is the
// deployment time the rules judge. Nothing is recorded: it is a GET, and
// store.DryRunGate writes no evaluation and no audit event.

// dryRunForm is the dry run's question as the form carries it. At is
// written and read in UTC (a datetime-local field has no zone: the page
// says so).
type dryRunForm struct {
	Release string
	Env     string
	At      string
	Version string
}

// dryRunLayouts are the time forms accepted, in UTC unless they carry a zone.
var dryRunLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339}

type dryRunData struct {
	Form          dryRunForm
	Envs          []environment.Environment
	Verdict       *verdictView
	At            time.Time
	EvaluatedAt   time.Time
	PolicyVersion int64
	PolicyHash    string
}

func (s *Server) policyDryRun(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := dryRunData{Form: dryRunForm{Release: strings.TrimSpace(q.Get("release")), Env: q.Get("env"),
		At: strings.TrimSpace(q.Get("at")), Version: strings.TrimSpace(q.Get("version"))}}
	var err error
	if d.Envs, err = s.store.ListEnvironments(r.Context(), "", "", maxEnvChoices); err != nil {
		return err
	}
	if d.Form.Release == "" && d.Form.Env == "" {
		return s.render(w, r, v, http.StatusOK, "policy_dryrun.html", "Gate dry run", d)
	}
	err = s.dryRun(r, v, &d)
	if err == nil {
		return s.render(w, r, v, http.StatusOK, "policy_dryrun.html", "Gate dry run", d)
	}
	switch fault.CodeOf(err) {
	case fault.Invalid, fault.NotFound:
		fe := fault.As(err)
		return s.renderView(w, r, v, api.StatusOf(err), "policy_dryrun.html", &view{Title: "Gate dry run", Path: r.URL.Path,
			Data: d, Error: fe.Error(), Field: fe.Field})
	}
	return err
}

// dryRun answers d.Form into d.
func (s *Server) dryRun(r *http.Request, v *visit, d *dryRunData) error {
	rel, err := ident.Release.Parse("release", d.Form.Release)
	if err != nil {
		return err
	}
	if err := ident.ValidName("env", d.Form.Env); err != nil {
		return err
	}
	at, err := dryRunTime(d.Form.At, v.now)
	if err != nil {
		return err
	}
	var n int64
	if d.Form.Version != "" {
		if n, err = strconv.ParseInt(d.Form.Version, 10, 64); err != nil || n < 1 {
			return fault.Field("version", "must be a stored policy version number, or empty for the policy in force")
		}
	}
	pol, version, err := s.storedPolicy(r.Context(), n)
	if err != nil {
		return err
	}
	vd, err := s.store.DryRunGate(r.Context(), store.GateQuery{Release: rel, Env: d.Form.Env, At: at}, pol)
	if err != nil {
		return err
	}
	vv := viewVerdict(d.Form.Env, vd)
	d.Verdict, d.At, d.EvaluatedAt, d.PolicyVersion, d.PolicyHash = &vv, vd.At, vd.EvaluatedAt, version, vd.PolicyHash
	return nil
}

// dryRunTime reads the form's time in UTC (or in the zone it names); empty is now.
func dryRunTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	for _, l := range dryRunLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fault.Field("at", "must be a time like 2026-03-01T14:30 (UTC), got %q", s)
}

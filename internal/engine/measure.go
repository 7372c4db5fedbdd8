package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
)

// measureCheck takes one measurement of the check named key and records it.
func (r *Runner) measureCheck(ctx context.Context, st *step, key string) error {
	d := st.ro.Deployment
	for _, c := range r.checks(st, d.Status == deploy.Succeeded) {
		if c.key() == key {
			return r.measure(ctx, st, c)
		}
	}
	return fmt.Errorf("no check %s", key)
}

// checkRestored measures every check of the stage once against the
// restored version, after a rollback.
func (r *Runner) checkRestored(ctx context.Context, st *step) error {
	for _, c := range r.checks(st, false) {
		if err := r.measure(ctx, st, c); err != nil {
			return err
		}
	}
	return nil
}

func (r *Runner) measure(ctx context.Context, st *step, c check) error {
	d := st.ro.Deployment
	now := r.Store.Now()
	label, since := stageLabel(d, now)
	m := analysis.Measurement{Deployment: d.ID, Stage: label, Template: c.template, Check: c.c.Name, Kind: kindOf(c.c), At: now}
	switch {
	case c.c.Prometheus != nil:
		if r.Prometheus == nil {
			m.Outcome, m.Message = analysis.Error, "no --prometheus-url configured"
			break
		}
		version := st.ro.Version
		if label == restoredStage {
			version = d.PreviousVersion
		}
		vars := map[string]string{"version": version, "previous_version": d.PreviousVersion, "env": d.Env,
			"ci": strings.Join(st.ro.CIs, "|"), "stage": label}
		got := r.Prometheus.Measure(ctx, Query{Deployment: d.ID, Stage: label, Template: c.template, Check: c.c, Vars: vars, At: now})
		got.Deployment, got.Stage, got.Template, got.Check, got.Kind = m.Deployment, m.Stage, m.Template, m.Check, m.Kind
		if got.At.IsZero() {
			got.At = now
		}
		m = got
	case c.c.Recurrence != nil:
		recs, err := r.Store.Recurrences(ctx, st.id, since)
		if err != nil {
			return err
		}
		m = counted(m, recs, c.c.Recurrence.MaxMatches, "matches of the resolved problems' signatures")
	case c.c.Incidents != nil:
		sev := c.c.Incidents.MinSeverity
		if sev == 0 {
			sev = 4
		}
		recs, err := r.Store.NewIncidents(ctx, st.id, since, sev)
		if err != nil {
			return err
		}
		m = counted(m, recs, 0, fmt.Sprintf("new incidents at severity %d or higher", sev))
	}
	if err := r.Store.RecordMeasurement(ctx, engineActor, m); err != nil {
		return err
	}
	if m.Outcome == analysis.Failed {
		st.evidence = time.Now()
	}
	r.outcome("measurement", m.Outcome)
	return nil
}

// counted is the measurement of a count check: failed above max.
func counted(m analysis.Measurement, recs []string, max int, what string) analysis.Measurement {
	m.Value, _ = json.Marshal(map[string]int{"count": len(recs)})
	m.Records = recs
	m.Outcome, m.Message = analysis.Successful, fmt.Sprintf("%d %s (at most %d)", len(recs), what, max)
	if len(recs) > max {
		m.Outcome = analysis.Failed
	}
	return m
}

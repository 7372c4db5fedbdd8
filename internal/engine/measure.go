package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/rollout"
)

// measureCheck takes one measurement of the check named key; it is stored
// with the step's end or before its next decision (step.pending).
func (r *Runner) measureCheck(ctx context.Context, st *step, key string) error {
	d := st.ro.Deployment
	for _, c := range r.checks(st, d.Status == deploy.Succeeded) {
		if c.Key() == key {
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
	label, since := rollout.Window(d, now)
	m := analysis.Measurement{Deployment: d.ID, Stage: label, Template: c.Template, Check: c.Check.Name, Kind: c.Kind(), At: now}
	switch {
	case c.Check.Prometheus != nil:
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
		got := r.Prometheus.Measure(ctx, Query{Deployment: d.ID, Stage: label, Template: c.Template, Check: c.Check, Vars: vars, At: now})
		if ctx.Err() != nil { // the runner stops: an answer cut short is no evidence; the check is measured on resume
			return ctx.Err()
		}
		got.Deployment, got.Stage, got.Template, got.Check, got.Kind = m.Deployment, m.Stage, m.Template, m.Check, m.Kind
		if got.At.IsZero() {
			got.At = now
		}
		m = got
	case c.Check.Recurrence != nil:
		recs, err := r.Store.Recurrences(ctx, st.id, since)
		if err != nil {
			return err
		}
		m = rollout.Counted(m, recs, c.Check.Recurrence.MaxMatches, rollout.RecurrenceWhat)
	case c.Check.Incidents != nil:
		sev := rollout.MinSeverity(c.Check.Incidents)
		recs, err := r.Store.NewIncidents(ctx, st.id, since, sev)
		if err != nil {
			return err
		}
		m = rollout.Counted(m, recs, 0, rollout.IncidentsWhat(sev))
	}
	if m.Outcome == analysis.Failed {
		st.evidence = time.Now()
	}
	st.pending = append(st.pending, m)
	st.tally(m)
	return nil
}

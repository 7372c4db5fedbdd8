package engine

import (
	"context"
	"errors"
	"strings"
	"time"

	"fixgate/internal/driver"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// runAction marks the action running, calls the driver and records its
// answer. A driver that cannot be built fails the action.
func (r *Runner) runAction(ctx context.Context, st *step, a *rollout.Action) error {
	d := st.ro.Deployment
	r.writes.Add(2) // BeginAction, FinishAction
	begun, err := r.Store.BeginAction(ctx, engineActor, st.id, a.Seq)
	if err != nil {
		return err
	}
	if a.Kind == driver.Rollback && begun.Attempts == 1 { // retries are not new rollbacks
		r.rollbackStarts(st)
	}
	act := driver.Action{Kind: a.Kind, Deployment: d.ID, Release: d.Release, Version: st.ro.Version,
		PreviousVersion: d.PreviousVersion, Env: d.Env, Stage: begun.StageName, Weight: begun.Weight, Key: begun.Key}
	if a.Kind == driver.Rollback {
		act.Stage, act.Weight = d.Stage().Name, 0
	}
	failure, log := "", ""
	drv, err := r.Drivers(st.pol, d.Driver)
	if err == nil {
		log, err = drv.Run(ctx, act)
	}
	if err != nil {
		failure = err.Error()
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return err // shutting down: the action stays running and is run again on resume
		}
	}
	_, err = r.Store.FinishAction(context.WithoutCancel(ctx), engineActor, st.id, a.Seq, failure, log)
	if failure != "" {
		st.evidence = time.Now()
	}
	return err
}

// rollbackStarts tells OnRollbackStart that st's rollback driver starts
// now, with the latency from its evidence (see Runner.OnRollbackStart).
func (r *Runner) rollbackStarts(st *step) {
	d := st.ro.Deployment
	arrived, told := r.takeEvidence(st.id)
	if r.OnRollbackStart == nil {
		return
	}
	cause := CauseClass(d.RollbackCause, st.pol)
	switch {
	case !st.evidence.IsZero():
		r.OnRollbackStart(cause, time.Since(st.evidence))
	case told:
		r.OnRollbackStart(cause, time.Since(arrived))
	case d.RollbackDecidedAt != nil:
		r.OnRollbackStart(cause, r.Store.Now().Sub(*d.RollbackDecidedAt))
	}
}

// CauseClass is the class of a rollback cause, as metrics count them:
// "check T/N failed…" is measurement, recurrence or incident by the kind
// of check N of template T in pol (measurement when pol has none such);
// "driver: …" is driver; "gate …" is gate; anything else (`deploy
// rollback`: "requested by …") is person.
func CauseClass(cause string, pol *policy.Policy) string {
	switch {
	case strings.HasPrefix(cause, "driver:"):
		return "driver"
	case strings.HasPrefix(cause, "gate "):
		return "gate"
	case !strings.HasPrefix(cause, "check "):
		return "person"
	}
	key, _, _ := strings.Cut(strings.TrimPrefix(cause, "check "), " ")
	if pol != nil {
		for name, tpl := range pol.AnalysisTemplates {
			for _, c := range tpl.Checks {
				if ref := (rollout.CheckRef{Template: name, Check: c}); ref.Key() == key {
					return kindClass(ref.Kind())
				}
			}
		}
	}
	return "measurement"
}

// kindClass is the cause class of a failed check of kind.
func kindClass(kind string) string {
	switch kind {
	case rollout.KindRecurrence:
		return "recurrence"
	case rollout.KindIncidents:
		return "incident"
	}
	return "measurement"
}

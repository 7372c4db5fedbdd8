package engine

import (
	"context"
	"errors"
	"time"

	"fixgate/internal/driver"
	"fixgate/internal/rollout"
)

// runAction marks the action running, calls the driver and records its
// answer. A driver that cannot be built fails the action.
func (r *Runner) runAction(ctx context.Context, st *step, a *rollout.Action) error {
	d := st.ro.Deployment
	begun, err := r.Store.BeginAction(ctx, engineActor, st.id, a.Seq)
	if err != nil {
		return err
	}
	if a.Kind == driver.Rollback && r.OnRollbackStart != nil {
		ev := d.RollbackDecidedAt
		if !st.evidence.IsZero() {
			r.OnRollbackStart(d.RollbackCause, time.Since(st.evidence))
		} else if ev != nil {
			r.OnRollbackStart(d.RollbackCause, r.Store.Now().Sub(*ev))
		}
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

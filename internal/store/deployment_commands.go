package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/rollout"
)

// What a person asks of a running deployment; the engine carries it out at
// its next step (next_step_at is set to now).

// PromoteDeployment asks that deployment id move on: running, it is
// promoted at its next step without waiting for the rest of the stage's
// analysis (the gate is still evaluated first; a failed check still rolls
// back); paused, it runs again and is promoted. Returns Conflict in any
// other state.
func (s *Store) PromoteDeployment(ctx context.Context, a audit.Actor, id int64, comment string) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, 0, "deployment.promote_request", func(tx *Tx, d *deploy.Deployment) error {
		switch d.Status {
		case deploy.Paused:
			if err := d.Move(deploy.Running, tx.now); err != nil {
				return err
			}
			d.PauseReason = ""
		case deploy.Running:
		default:
			return conflictStatus(d, "only a running or paused deployment is promoted")
		}
		d.PromoteRequested, d.NextStepAt = true, &tx.now
		return tx.engineEvent(ctx, d, "promote", joinComment("promotion requested by "+tx.actor.User, comment))
	})
}

// RollbackDeployment is a person's rollback of deployment id (running,
// paused, or succeeded inside its watch window): DecideRollback with the
// person and comment as the cause. Returns Conflict in any other state.
func (s *Store) RollbackDeployment(ctx context.Context, a audit.Actor, id int64, comment string) (deploy.Deployment, error) {
	return s.DecideRollback(ctx, a, id, 0, joinComment("requested by "+a.User, comment), s.Now())
}

// AbortDeployment aborts deployment id: one that has not started (pending,
// blocked) simply ends; a running or paused one ends aborted and its
// driver is told (an abort action, due now), leaving the environment as
// it is. Returns Conflict in any other state (roll back instead).
func (s *Store) AbortDeployment(ctx context.Context, a audit.Actor, id int64, comment string) (deploy.Deployment, error) {
	return s.abortDeployment(ctx, a, id, 0, comment)
}

func (s *Store) abortDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, comment string) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.abort", func(tx *Tx, d *deploy.Deployment) error {
		from := d.Status
		if err := d.Move(deploy.Aborted, tx.now); err != nil {
			return err
		}
		d.NextStepAt, d.PromoteRequested = nil, false
		if from == deploy.Running || from == deploy.Paused {
			if _, err := tx.queueAction(ctx, d, rollout.ActionAbort); err != nil {
				return err
			}
			d.NextStepAt = &tx.now
		}
		return tx.engineEvent(ctx, d, deploy.EventStatus, joinComment(from+" → aborted by "+tx.actor.User, comment))
	})
}

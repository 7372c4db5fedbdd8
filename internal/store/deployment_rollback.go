package store

import (
	"context"
	"slices"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
)

// DecideRollback decides that deployment id (running, paused, or
// succeeded inside its watch window) rolls back because of cause, on
// evidence taken at evidenceAt: in one transaction it goes rolling_back,
// records rollback_decided_at, first_failure_at (the evidence, when none
// was recorded) and the cause, and queues the rollback action, due now.
// After commit the store's Decided hook is told (SetRollouts). Returns
// Conflict for any other state.
func (s *Store) DecideRollback(ctx context.Context, a audit.Actor, id, ifRev int64, cause string, evidenceAt time.Time) (deploy.Deployment, error) {
	return s.DecideRollbackMeasured(ctx, a, id, ifRev, cause, evidenceAt, nil)
}

// DecideRollbackMeasured is DecideRollback that first stores ms, the
// measurements the engine took and has not stored yet (the failing one
// among them), each with its audit event, in the same transaction: the
// evidence and the decision commit together, one write fewer between a
// failing measurement and the rollback driver's start. On error nothing is
// stored.
func (s *Store) DecideRollbackMeasured(ctx context.Context, a audit.Actor, id, ifRev int64, cause string, evidenceAt time.Time,
	ms []analysis.Measurement) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.rollback", func(tx *Tx, d *deploy.Deployment) error {
		if err := tx.insertMeasurements(ctx, id, ms); err != nil {
			return err
		}
		return tx.decideRollback(ctx, d, cause, evidenceAt)
	})
}

// decideRollback is DecideRollback's change of d in tx (audited by the
// caller's stepDeployment); the decision is told to the Decided hook after
// commit, with the time the transaction's request arrived as its evidence.
func (tx *Tx) decideRollback(ctx context.Context, d *deploy.Deployment, cause string, evidenceAt time.Time) error {
	if err := d.Move(deploy.RollingBack, tx.now); err != nil {
		return err
	}
	if evidenceAt.IsZero() || evidenceAt.After(tx.now) {
		evidenceAt = tx.now
	}
	if d.FirstFailureAt == nil {
		d.FirstFailureAt = &evidenceAt
	}
	d.RollbackDecidedAt, d.RollbackCause, d.NextStepAt = &tx.now, cause, &tx.now
	d.PromoteRequested, d.PauseReason = false, ""
	if _, err := tx.queueAction(ctx, d, rollout.ActionRollback); err != nil {
		return err
	}
	id, _ := ident.Deployment.Parse("id", d.ID)
	tx.decided = append(tx.decided, RollbackDecision{Deployment: id, Cause: cause, Evidence: tx.arrived})
	return tx.engineEvent(ctx, d, deploy.EventStatus, "rolling back to "+orNone(d.PreviousVersion)+": "+cause)
}

func orNone(v string) string {
	if v == "" {
		return "the previous version (none recorded)"
	}
	return v
}

// FinishRollback ends deployment id's rollback once its driver restored
// the previous version: rolled_back with rollback_done_at, the release
// rolled_back, the problems this deployment resolved back to
// fix_in_progress (a recurrence when a recurrence check caused it), an
// outcome for the release and deployment on the known errors of every
// problem the release resolves, and deployment.rolled_back (with
// problem.recurred for each recurrence) to subscribers, all in one
// transaction. A recurrence counts once: a problem that the alert already
// reopened when it arrived (recur, during the watch) is no longer resolved
// and is not reopened again, and a known error that holds the outcome for
// this attempt already gets no second one (recordedFor).
func (s *Store) FinishRollback(ctx context.Context, a audit.Actor, id, ifRev int64) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.rolled_back", func(tx *Tx, d *deploy.Deployment) error {
		if err := d.Move(deploy.RolledBack, tx.now); err != nil {
			return err
		}
		d.RollbackDoneAt, d.NextStepAt = &tx.now, nil
		if err := tx.engineEvent(ctx, d, deploy.EventStatus, "rolled back to "+orNone(d.PreviousVersion)); err != nil {
			return err
		}
		relID, _ := ident.Release.Parse("release", d.Release)
		if err := tx.followRelease(ctx, relID, release.RolledBack); err != nil {
			return err
		}
		recurrence, err := tx.recurrenceCaused(ctx, id)
		if err != nil {
			return err
		}
		reopened, err := tx.reopenByRollback(ctx, d, recurrence)
		if err != nil {
			return err
		}
		return tx.enqueue(ctx, EventDeploymentRolledBack, map[string]any{"deployment": d, "cause": d.RollbackCause,
			"recurrence": recurrence, "reopened": reopened})
	})
}

// recurrenceCaused reports whether a recurrence check of deployment id failed.
func (tx *Tx) recurrenceCaused(ctx context.Context, id int64) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM deployment_measurements WHERE deployment_id = $1 AND kind = 'recurrence'
		AND outcome = $2`, id, analysis.Failed).Scan(&n)
	return n > 0, err
}

// reopenByRollback moves the problems d resolved back to fix_in_progress
// and records the outcome on the known errors of every problem d's release
// resolves. Without a recurrence the move does not count as one and keeps
// the RCA's validation (the fix did not reach its target; the analysis
// was not proven wrong). Returns the problems reopened.
func (tx *Tx) reopenByRollback(ctx context.Context, d *deploy.Deployment, recurrence bool) ([]string, error) {
	depID, _ := ident.Deployment.Parse("id", d.ID)
	relID, _ := ident.Release.Parse("release", d.Release)
	q := `SELECT DISTINCT p.id FROM problems p JOIN problem_resolutions r ON r.problem_id = p.id
		WHERE r.deployment_id = $1 AND p.status = $2 ORDER BY p.id`
	if tx.dialect == Postgres {
		q = `SELECT p.id FROM problems p WHERE p.status = $2 AND p.id IN (SELECT problem_id FROM problem_resolutions
			WHERE deployment_id = $1) ORDER BY p.id FOR UPDATE OF p`
	}
	ids, err := tx.int64s(ctx, q, depID, problem.Resolved)
	if err != nil {
		return nil, err
	}
	reopened := []string{}
	for _, pid := range ids {
		if err := tx.reopenProblem(ctx, d, pid, recurrence); err != nil {
			return nil, err
		}
		reopened = append(reopened, ident.Problem.Format(pid))
	}
	all, err := tx.int64s(ctx, `SELECT problem_id FROM release_problems WHERE release_id = $1 ORDER BY problem_id`, relID)
	if err != nil {
		return nil, err
	}
	outcome := knownerror.RolledBack
	if recurrence {
		outcome = knownerror.Recurred
	}
	o := knownerror.Outcome{Release: d.Release, Deployment: d.ID, Outcome: outcome, Note: "rolled back: " + d.RollbackCause, At: tx.now}
	for _, pid := range all {
		if _, err := tx.recordOutcomeUnless(ctx, pid, o, recordedFor(d, outcome)); err != nil {
			return nil, err
		}
	}
	return reopened, nil
}

// recordedFor reports whether a known error's outcomes already hold
// outcome for d's attempt: for d itself, or for its release since d
// started. A recurrence that reached fixgate during the watch reopened the
// problem and recorded "recurred" then (recur); the rollback it causes
// must not count it twice.
func recordedFor(d *deploy.Deployment, outcome string) func([]knownerror.Outcome) bool {
	return func(os []knownerror.Outcome) bool {
		for _, o := range os {
			if o.Outcome == outcome && (o.Deployment == d.ID ||
				o.Release == d.Release && d.StartedAt != nil && !o.At.Before(*d.StartedAt)) {
				return true
			}
		}
		return false
	}
}

func (tx *Tx) reopenProblem(ctx context.Context, d *deploy.Deployment, pid int64, recurrence bool) error {
	before, err := tx.getProblem(ctx, pid)
	if err != nil {
		return err
	}
	p := before
	p.CIs, p.Environments = slices.Clone(before.CIs), slices.Clone(before.Environments)
	if err := p.Move(problem.FixInProgress, tx.actor.User, tx.now, 0); err != nil {
		return err
	}
	if !recurrence {
		p.RecurrenceCount, p.RCA.ValidatedBy, p.RCA.ValidatedAt = before.RecurrenceCount, before.RCA.ValidatedBy, before.RCA.ValidatedAt
	}
	p.Revision, p.UpdatedAt = before.Revision+1, tx.now
	if err := tx.saveProblem(ctx, pid, &p); err != nil {
		return err
	}
	if err := tx.auditEvent(ctx, "problem.reopen_by_rollback", "problem", p.ID, p.Revision, before, p); err != nil {
		return err
	}
	if !recurrence {
		return nil
	}
	if before.RCA.Validated() {
		if err := tx.withdrawValidations(ctx, pid, "recurrence: "+d.ID+" rolled back: "+d.RollbackCause); err != nil {
			return err
		}
	}
	return tx.enqueue(ctx, EventProblemRecurred, map[string]any{"problem": p.ID, "title": p.Title, "priority": p.Priority,
		"status": p.Status, "recurrence_count": p.RecurrenceCount, "release": d.Release, "deployment": d.ID,
		"reason": d.RollbackCause, "at": tx.now})
}

// conflictStatus is Conflict naming d's status.
func conflictStatus(d *deploy.Deployment, what string) error {
	return &fault.Error{Code: fault.Conflict, Message: d.ID + " is " + d.Status + "; " + what,
		Extra: map[string]any{"current_status": d.Status}}
}

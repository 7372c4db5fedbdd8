package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/rollout"
)

// DeploymentAction is one driver action of a deployment. It is marked
// running before the driver is called and finished after it returns, so a
// restarted engine never repeats an action that succeeded; one left running
// by a dead engine is run again with the same Key (at least once: drivers
// receive Key as an idempotency key).
type DeploymentAction struct {
	rollout.Action
	Deployment string     `json:"deployment"`
	StageName  string     `json:"stage_name"`
	Weight     int        `json:"weight"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	Log        string     `json:"log"`
	Key        string     `json:"key"`
}

// MaxActionLog caps the driver output kept with an action.
const MaxActionLog = 64 << 10

const actionCols = `deployment_id, seq, kind, stage, weight, status, attempts, next_attempt_at, started_at, finished_at, log, key`

func scanAction(sc interface{ Scan(...any) error }, path []deploy.Stage) (DeploymentAction, error) {
	var a DeploymentAction
	var dep int64
	err := sc.Scan(&dep, &a.Seq, &a.Kind, &a.Stage, &a.Weight, &a.Status, &a.Attempts, nullTimeCol{&a.NextAttemptAt},
		nullTimeCol{&a.StartedAt}, nullTimeCol{&a.FinishedAt}, &a.Log, &a.Key)
	a.Deployment = ident.Deployment.Format(dep)
	if a.Stage >= 0 && a.Stage < len(path) {
		a.StageName = path[a.Stage].Name
	}
	if a.Kind == rollout.ActionRollback {
		a.StageName = rollout.ActionRollback
	}
	return a, err
}

// queueAction adds a pending action of kind at d's current stage.
func (tx *Tx) queueAction(ctx context.Context, d *deploy.Deployment, kind string) (DeploymentAction, error) {
	id, _ := ident.Deployment.Parse("id", d.ID)
	var seq int64
	if err := tx.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM deployment_actions WHERE deployment_id = $1`, id).Scan(&seq); err != nil {
		return DeploymentAction{}, err
	}
	a := DeploymentAction{Action: rollout.Action{Seq: seq, Kind: kind, Stage: d.CurrentStage, Status: rollout.ActionPending},
		Deployment: d.ID, StageName: d.Stage().Name, Weight: d.Stage().Weight, Key: fmt.Sprintf("%s/%d/%s", d.ID, seq, kind)}
	if kind == rollout.ActionRollback {
		a.Weight = 0 // the new version's share once the previous one is restored, as the driver is told
	}
	_, err := tx.exec(ctx, `INSERT INTO deployment_actions (deployment_id, seq, kind, stage, weight, status, key)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, seq, kind, a.Stage, a.Weight, a.Status, a.Key)
	if err != nil {
		return a, err
	}
	return a, tx.auditEvent(ctx, "deployment.action_queue", "deployment", d.ID, d.Revision, nil, a)
}

func (tx *Tx) getAction(ctx context.Context, d *deploy.Deployment, seq int64) (DeploymentAction, error) {
	id, _ := ident.Deployment.Parse("id", d.ID)
	a, err := scanAction(tx.queryRow(ctx, `SELECT `+actionCols+` FROM deployment_actions WHERE deployment_id = $1 AND seq = $2`+
		tx.forUpdate(), id, seq), d.Path)
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFoundf("%s has no action %d", d.ID, seq)
	}
	return a, err
}

func (tx *Tx) saveAction(ctx context.Context, a *DeploymentAction) error {
	id, _ := ident.Deployment.Parse("id", a.Deployment)
	_, err := tx.exec(ctx, `UPDATE deployment_actions SET status = $1, attempts = $2, next_attempt_at = $3, started_at = $4,
		finished_at = $5, log = $6 WHERE deployment_id = $7 AND seq = $8`,
		a.Status, a.Attempts, tsp(a.NextAttemptAt), tsp(a.StartedAt), tsp(a.FinishedAt), a.Log, id, a.Seq)
	return err
}

// BeginAction marks action seq of deployment id running (attempts + 1)
// before the driver is called. Returns Conflict for an action that
// succeeded (it is never repeated) and for a failed one other than a
// rollback (only a rollback is retried).
func (s *Store) BeginAction(ctx context.Context, a audit.Actor, id, seq int64) (DeploymentAction, error) {
	var act DeploymentAction
	err := s.write(ctx, a, func(tx *Tx) error {
		d, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if act, err = tx.getAction(ctx, &d, seq); err != nil {
			return err
		}
		if act.Status == rollout.ActionSucceeded || act.Status == rollout.ActionFailed && act.Kind != rollout.ActionRollback {
			return fault.Conflictf("%s action %d (%s) is %s; it is not run again", d.ID, seq, act.Kind, act.Status)
		}
		act.Status, act.Attempts, act.StartedAt, act.NextAttemptAt = rollout.ActionRunning, act.Attempts+1, &tx.now, nil
		if err := tx.saveAction(ctx, &act); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "deployment.action_begin", "deployment", d.ID, d.Revision, nil, act)
	})
	return act, err
}

// FinishAction records the driver's answer to action seq of deployment id
// (running): failure "" is success. See finishAction.
func (s *Store) FinishAction(ctx context.Context, a audit.Actor, id, seq int64, failure, log string) (DeploymentAction, error) {
	var act DeploymentAction
	err := s.write(ctx, a, func(tx *Tx) error {
		d, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if act, err = tx.getAction(ctx, &d, seq); err != nil {
			return err
		}
		if act.Status != rollout.ActionRunning {
			return fault.Conflictf("%s action %d (%s) is %s, not running", d.ID, seq, act.Kind, act.Status)
		}
		return tx.finishAction(ctx, &d, &act, failure, log)
	})
	return act, err
}

// finishAction ends act: succeeded (a deploy or promote starts its stage's
// clock) or failed (a failed rollback is retried after rollout.Backoff and
// announced once as deployment.rollback_failed). The log is capped at
// MaxActionLog and the outcome logged on the deployment.
func (tx *Tx) finishAction(ctx context.Context, d *deploy.Deployment, act *DeploymentAction, failure, log string) error {
	if len(log) > MaxActionLog {
		log = strings.ToValidUTF8(log[len(log)-MaxActionLog:], "")
	}
	act.Status, act.FinishedAt, act.Log = rollout.ActionSucceeded, &tx.now, log
	if failure != "" {
		act.Status = rollout.ActionFailed
		if act.Kind == rollout.ActionRollback {
			next := tx.now.Add(rollout.Backoff(act.Attempts))
			act.NextAttemptAt = &next
		}
	}
	if err := tx.saveAction(ctx, act); err != nil {
		return err
	}
	if err := tx.auditEvent(ctx, "deployment.action_finish", "deployment", d.ID, d.Revision, nil, act); err != nil {
		return err
	}
	msg := fmt.Sprintf("%s %s (%d%%) %s", act.Kind, act.StageName, act.Weight, act.Status)
	if failure != "" {
		msg += ": " + failure
	}
	if err := tx.engineEvent(ctx, d, "action", msg); err != nil {
		return err
	}
	if failure != "" && act.Kind == rollout.ActionRollback {
		_, err := tx.enqueueOnce(ctx, EventDeploymentRollbackFailed, "deployment.rollback_failed:"+d.ID,
			map[string]any{"deployment": d.ID, "release": d.Release, "env": d.Env, "error": failure, "attempts": act.Attempts,
				"next_attempt_at": act.NextAttemptAt})
		return err
	}
	if failure == "" && (act.Kind == rollout.ActionDeploy || act.Kind == rollout.ActionPromote) && d.Status == deploy.Running {
		before := *d
		d.StageStartedAt, d.NextStepAt = &tx.now, &tx.now
		return tx.saveDeployment(ctx, &before, d)
	}
	return nil
}

// ListDeploymentActions returns the actions of deployment id in order.
func (s *Store) ListDeploymentActions(ctx context.Context, id int64) ([]DeploymentAction, error) {
	d, err := s.GetDeployment(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+actionCols+` FROM deployment_actions WHERE deployment_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, errf(err, "list deployment actions")
	}
	defer rows.Close()
	out := []DeploymentAction{}
	for rows.Next() {
		a, err := scanAction(rows, d.Path)
		if err != nil {
			return nil, errf(err, "scan deployment action")
		}
		out = append(out, a)
	}
	return out, errf(rows.Err(), "list deployment actions")
}

// ReportStage records what the user's pipeline reports for a deployment
// with a reported driver: the action of stage (a stage name, or "rollback"
// for the rollback) succeeded or failed. On the locked deployment row it
// first asks rollout.AcceptsReport under the policy in force: a deployment
// carried by an exec or webhook driver (or one the policy no longer
// defines) answers Conflict naming the driver, and the refusal is audited
// (deployment.report_refused, the only thing written). Otherwise returns
// Invalid naming "stage" for a stage the path does not have and "status"
// for another status, Conflict when the deployment is finished or that
// stage's action is not waiting for a report; nothing is written then.
func (s *Store) ReportStage(ctx context.Context, a audit.Actor, id int64, stage, status, message string) (DeploymentAction, error) {
	var act DeploymentAction
	if status != rollout.ActionSucceeded && status != rollout.ActionFailed {
		return act, fault.Field("status", "must be succeeded or failed, not %q", status)
	}
	pol := s.requestPolicy(ctx) // nil: the transaction reads the stored policy
	var refused error
	err := s.write(ctx, a, func(tx *Tx) error {
		tx.pol = pol
		d, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if refused, err = tx.refuseReport(ctx, &d, stage, status); err != nil || refused != nil {
			return err // a refusal commits its audit event only
		}
		if stage != rollout.ActionRollback && !slicesHasStage(d.Path, stage) {
			return fault.Field("stage", "%s has no stage %q (its stages: %s)", d.ID, stage, deploy.PathString(d.Path))
		}
		if act, err = tx.latestAction(ctx, &d); err != nil {
			return err
		}
		if deploy.Final(d.Status) && act.Kind != rollout.ActionAbort || act.Seq == 0 ||
			act.Status != rollout.ActionPending && act.Status != rollout.ActionRunning && !(act.Kind == rollout.ActionRollback && act.Status == rollout.ActionFailed) {
			return fault.Conflictf("%s is %s; nothing waits for a report", d.ID, d.Status)
		}
		if act.StageName != stage {
			return fault.Conflictf("%s waits for a report of %s, not %s", d.ID, act.StageName, stage)
		}
		act.Attempts++
		failure := ""
		if status == rollout.ActionFailed {
			failure = "reported failed"
			if message != "" {
				failure += ": " + message
			}
		}
		return tx.finishAction(ctx, &d, &act, failure, message)
	})
	if err == nil && refused != nil {
		return DeploymentAction{}, refused
	}
	return act, err
}

// refuseReport returns rollout.AcceptsReport's refusal of a report of
// stage for d (locked) under the policy in force, after writing its audit
// event deployment.report_refused; nil when d takes reports.
func (tx *Tx) refuseReport(ctx context.Context, d *deploy.Deployment, stage, status string) (refusal, err error) {
	pol, err := tx.rolloutPolicy(ctx)
	if err != nil {
		return nil, err
	}
	refusal = rollout.AcceptsReport(pol, d)
	if refusal == nil {
		return nil, nil
	}
	fe := fault.As(refusal)
	detail := map[string]any{"deployment": d.ID, "stage": stage, "status": status, "driver": d.Driver,
		"driver_kind": fe.Extra["driver_kind"], "rule": rollout.RuleReportedDriver, "reason": fe.Message}
	if err := tx.auditEvent(ctx, "deployment.report_refused", "deployment", d.ID, d.Revision, nil, detail); err != nil {
		return nil, err
	}
	return refusal, nil
}

func slicesHasStage(path []deploy.Stage, name string) bool {
	for _, st := range path {
		if st.Name == name {
			return true
		}
	}
	return false
}

// latestAction returns d's action with the highest seq (Seq 0: none).
func (tx *Tx) latestAction(ctx context.Context, d *deploy.Deployment) (DeploymentAction, error) {
	id, _ := ident.Deployment.Parse("id", d.ID)
	a, err := scanAction(tx.queryRow(ctx, `SELECT `+actionCols+` FROM deployment_actions WHERE deployment_id = $1
		ORDER BY seq DESC LIMIT 1`+tx.forUpdate(), id), d.Path)
	if errors.Is(err, sql.ErrNoRows) {
		return DeploymentAction{}, nil
	}
	return a, err
}

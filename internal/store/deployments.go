package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

const deploymentCols = `id, release_id, env, change_id, status, path, current_stage, started_at, finished_at,
	rev, created_by, created_at, updated_at, driver, gate_id, previous_version, stage_started_at, promote_requested,
	pause_reason, rollback_cause, watch_until, first_failure_at, rollback_decided_at, rollback_done_at, verified_at, next_step_at`

func scanDeployment(sc interface{ Scan(...any) error }) (deploy.Deployment, error) {
	var d deploy.Deployment
	var id, rel int64
	var chg, gate sql.NullInt64
	err := sc.Scan(&id, &rel, &d.Env, &chg, &d.Status, jsonCol{&d.Path}, &d.CurrentStage, nullTimeCol{&d.StartedAt},
		nullTimeCol{&d.FinishedAt}, &d.Revision, &d.CreatedBy, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt},
		&d.Driver, &gate, &d.PreviousVersion, nullTimeCol{&d.StageStartedAt}, &d.PromoteRequested, &d.PauseReason,
		&d.RollbackCause, nullTimeCol{&d.WatchUntil}, nullTimeCol{&d.FirstFailureAt}, nullTimeCol{&d.RollbackDecidedAt},
		nullTimeCol{&d.RollbackDoneAt}, nullTimeCol{&d.VerifiedAt}, nullTimeCol{&d.NextStepAt})
	d.ID, d.Release = ident.Deployment.Format(id), ident.Release.Format(rel)
	if chg.Valid {
		d.Change = ident.Change.Format(chg.Int64)
	}
	if gate.Valid {
		d.Gate = ident.Gate.Format(gate.Int64)
	}
	return d, err
}

// saveDeployment writes every field of d that changes after creation,
// compare-and-set on before's revision; d.Revision and d.UpdatedAt are set.
func (tx *Tx) saveDeployment(ctx context.Context, before, d *deploy.Deployment) error {
	d.Revision, d.UpdatedAt = before.Revision+1, tx.now
	id, _ := ident.Deployment.Parse("id", d.ID)
	var gate any
	if d.Gate != "" {
		gate, _ = ident.Gate.Parse("gate", d.Gate)
	}
	return tx.updateRev(ctx, "deployment "+d.ID, before.Revision, `UPDATE deployments SET status = $1, current_stage = $2,
		started_at = $3, finished_at = $4, rev = $5, updated_at = $6, driver = $7, gate_id = $8, previous_version = $9,
		stage_started_at = $10, promote_requested = $11, pause_reason = $12, rollback_cause = $13, watch_until = $14,
		first_failure_at = $15, rollback_decided_at = $16, rollback_done_at = $17, verified_at = $18, next_step_at = $19
		WHERE id = $20 AND rev = $21`,
		d.Status, d.CurrentStage, tsp(d.StartedAt), tsp(d.FinishedAt), d.Revision, ts(tx.now), d.Driver, gate, d.PreviousVersion,
		tsp(d.StageStartedAt), d.PromoteRequested, d.PauseReason, d.RollbackCause, tsp(d.WatchUntil), tsp(d.FirstFailureAt),
		tsp(d.RollbackDecidedAt), tsp(d.RollbackDoneAt), tsp(d.VerifiedAt), tsp(d.NextStepAt), id, before.Revision)
}

// CreateDeployment stores a new pending deployment after d.Validate, and
// logs its "created" event. Returns Invalid naming "release", "env" or
// "change" when a referenced record does not exist or the change authorises
// another release or environment, and Conflict when the release is canceled
// or already has an unfinished deployment into the environment.
func (s *Store) CreateDeployment(ctx context.Context, a audit.Actor, d deploy.Deployment) (deploy.Deployment, error) {
	d.Status, d.CurrentStage, d.StartedAt, d.FinishedAt = deploy.Pending, 0, nil, nil
	if err := d.Validate(); err != nil {
		return d, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		relID, chgID, err := tx.checkDeploymentRefs(ctx, &d)
		if err != nil {
			return err
		}
		d.Revision, d.CreatedBy, d.CreatedAt, d.UpdatedAt = 1, a.User, tx.now, tx.now
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO deployments (release_id, env, change_id, status, path, current_stage, rev, created_by,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			relID, d.Env, chgID, d.Status, jsonText(d.Path), d.CurrentStage, d.Revision, d.CreatedBy, ts(tx.now), ts(tx.now)).Scan(&id)
		if err != nil {
			return err
		}
		d.ID = ident.Deployment.Format(id)
		if err := tx.auditEvent(ctx, "deployment.create", "deployment", d.ID, d.Revision, nil, d); err != nil {
			return err
		}
		msg := fmt.Sprintf("deploy %s into %s along %s", d.Release, d.Env, deploy.PathString(d.Path))
		_, err = tx.logDeploymentEvent(ctx, &d, deploy.Event{Kind: deploy.EventCreated, Message: msg})
		return err
	})
	return d, err
}

// checkDeploymentRefs resolves the release and change of d and checks they
// may be deployed into d.Env. chgID is nil without a change. A release
// already being deployed there (pending, blocked, running, paused, rolling
// back) is a Conflict naming "env", with the deployment in Extra.
func (tx *Tx) checkDeploymentRefs(ctx context.Context, d *deploy.Deployment) (relID int64, chgID any, err error) {
	relID, _ = ident.Release.Parse("release", d.Release)
	// On PostgreSQL (READ COMMITTED) the release row is locked until commit,
	// so deployments of one release are created one at a time and the check
	// for an unfinished one below sees any committed by a concurrent call;
	// SQLite's BEGIN IMMEDIATE serialises writers already.
	q := `SELECT status FROM releases WHERE id = $1`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var status string
	err = tx.queryRow(ctx, q, relID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, fault.Field("release", "release %s does not exist", d.Release)
	}
	if err != nil {
		return 0, nil, err
	}
	if status == release.Canceled {
		return 0, nil, fault.Conflictf("release %s is canceled; it cannot be deployed", d.Release)
	}
	if err := tx.requireNames(ctx, "env", "environments", []string{d.Env}); err != nil {
		return 0, nil, err
	}
	if d.Change != "" {
		n, _ := ident.Change.Parse("change", d.Change)
		if err := tx.checkDeploymentChange(ctx, d, relID, n); err != nil {
			return 0, nil, err
		}
		chgID = n
	}
	var open int64
	err = tx.queryRow(ctx, `SELECT id FROM deployments WHERE release_id = $1 AND env = $2 AND status IN ($3, $4, $5, $6, $7)
		AND NOT (status = $4 AND driver <> '') ORDER BY id LIMIT 1`,
		relID, d.Env, deploy.Pending, deploy.Blocked, deploy.Running, deploy.Paused, deploy.RollingBack).Scan(&open)
	if err == nil {
		e := fault.Conflictf("%s is already being deployed into %s by %s; finish or abort it first",
			d.Release, d.Env, ident.Deployment.Format(open))
		e.Field, e.Extra = "env", map[string]any{"deployment": ident.Deployment.Format(open)}
		return 0, nil, e
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, nil, err
	}
	return relID, chgID, nil
}

// checkDeploymentChange checks change n exists and authorises d's release
// (relID) into d.Env when it names them.
func (tx *Tx) checkDeploymentChange(ctx context.Context, d *deploy.Deployment, relID, n int64) error {
	var cRel sql.NullInt64
	var cEnv sql.NullString
	err := tx.queryRow(ctx, `SELECT release_id, env FROM changes WHERE id = $1`, n).Scan(&cRel, &cEnv)
	if errors.Is(err, sql.ErrNoRows) {
		return fault.Field("change", "change %s does not exist", d.Change)
	}
	if err != nil {
		return err
	}
	if cRel.Valid && cRel.Int64 != relID {
		return fault.Field("change", "%s authorises %s, not %s", d.Change, ident.Release.Format(cRel.Int64), d.Release)
	}
	if cEnv.Valid && cEnv.String != "" && cEnv.String != d.Env {
		return fault.Field("change", "%s authorises a deployment into %s, not %s", d.Change, cEnv.String, d.Env)
	}
	return nil
}

func (tx *Tx) getDeployment(ctx context.Context, id int64) (deploy.Deployment, error) {
	d, err := scanDeployment(tx.queryRow(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fault.NotFoundf("deployment %s not found", ident.Deployment.Format(id))
	}
	return d, err
}

// GetDeployment returns one deployment (without its events). Returns NotFound if there is none.
func (s *Store) GetDeployment(ctx context.Context, id int64) (deploy.Deployment, error) {
	d, err := scanDeployment(s.queryRowHot(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fault.NotFoundf("deployment %s not found", ident.Deployment.Format(id))
	}
	return d, errf(err, "get deployment")
}

// DeploymentFilter selects deployments for ListDeployments; zero fields do not filter.
type DeploymentFilter struct {
	Release int64
	Env     string
	Status  string
	Page
}

// ListDeployments returns deployments in id order after f.After, at most f.Limit.
func (s *Store) ListDeployments(ctx context.Context, f DeploymentFilter) ([]deploy.Deployment, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Release != 0 {
		w.add("release_id = ?", f.Release)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	q := `SELECT ` + deploymentCols + ` FROM deployments` + w.where() + ` ORDER BY id LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list deployments")
	}
	defer rows.Close()
	out := []deploy.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, errf(err, "scan deployment")
		}
		out = append(out, d)
	}
	return out, errf(rows.Err(), "list deployments")
}

// engineCommands names, for each state the rollout engine owns, the
// command that gets a deployment there instead of a hand move.
var engineCommands = map[string]string{
	deploy.Running:     "`fixgate deploy start` (POST /api/v1/deployments/start): the gate decides; a paused one resumes with `deploy promote`",
	deploy.Succeeded:   "the rollout engine, after the last stage's analysis (`deploy promote` skips the wait)",
	deploy.RolledBack:  "`fixgate deploy rollback` (POST /api/v1/deployments/{id}/rollback): the driver restores the previous version",
	deploy.RollingBack: "`fixgate deploy rollback` (POST /api/v1/deployments/{id}/rollback)",
	deploy.Paused:      "the rollout engine (a gate that blocks, inconclusive analysis)",
}

// MoveDeployment is a hand move of deployment id to status to
// (deploy.Deployment.Move), logged with comment: only the moves the rollout
// engine does not own (pending ↔ blocked, failed, and aborted, which is
// AbortDeployment). Running, succeeded, paused, rolling_back and
// rolled_back are refused with Conflict naming the command to use. ifRev 0
// skips the revision check. Nothing is written on error.
func (s *Store) MoveDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, to, comment string) (deploy.Deployment, error) {
	if cmd, ok := engineCommands[to]; ok {
		return deploy.Deployment{}, &fault.Error{Code: fault.Conflict, Field: "to",
			Message: "a deployment is not moved to " + to + " by hand; use " + cmd}
	}
	if to == deploy.Aborted {
		return s.abortDeployment(ctx, a, id, ifRev, comment)
	}
	return s.changeDeployment(ctx, a, id, ifRev, "deployment.move", func(d *deploy.Deployment, now time.Time) (deploy.Event, error) {
		from := d.Status
		if err := d.Move(to, now); err != nil {
			return deploy.Event{}, err
		}
		d.NextStepAt = nil
		return deploy.Event{Kind: deploy.EventStatus, Message: joinComment(from+" → "+to, comment)}, nil
	})
}

// AdvanceDeployment is refused: the rollout engine advances stages after
// their analysis and a fresh gate evaluation. Returns Conflict naming
// `deploy promote`.
func (s *Store) AdvanceDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, comment string) (deploy.Deployment, error) {
	return deploy.Deployment{}, fault.Conflictf("stages advance by the rollout engine after their analysis and the gate; " +
		"use `fixgate deploy promote` (POST /api/v1/deployments/{id}/promote) to move on without waiting")
}

func joinComment(what, comment string) string {
	if comment == "" {
		return what
	}
	return what + ": " + comment
}

// changeDeployment loads the deployment in a write transaction, checks
// ifRev, applies fn (the domain rule, which describes the event to log) and
// saves the result, its audit event and its log event.
func (s *Store) changeDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, action string,
	fn func(d *deploy.Deployment, now time.Time) (deploy.Event, error)) (deploy.Deployment, error) {
	var d deploy.Deployment
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("deployment "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		d = before
		d.Path = append([]deploy.Stage{}, before.Path...)
		ev, err := fn(&d, tx.now)
		if err != nil {
			return err
		}
		if err := d.Validate(); err != nil {
			return err
		}
		if err := tx.saveDeployment(ctx, &before, &d); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, action, "deployment", d.ID, d.Revision, before, d); err != nil {
			return err
		}
		if _, err = tx.logDeploymentEvent(ctx, &d, ev); err != nil {
			return err
		}
		return nil
	})
	return d, err
}

// LiveDeployments returns the deployments that were live in env at time at:
// what ran there, per CI. The rule, applied per CI of the deployed release
// (the CIs of its component versions):
//
//   - only succeeded deployments with finished_at <= at count;
//   - for each CI, the one with the latest finished_at (then the highest id)
//     is live for that CI: a later succeeded deployment of a release that
//     contains the CI supersedes it for that CI alone, so a deployment stays
//     live for the CIs no later release touched;
//   - rolled_back, failed and aborted deployments supersede nothing: a
//     rollback restores what ran before, and a failed or aborted rollout did
//     not replace it (undoing a succeeded deployment means deploying the
//     previous release again, which then supersedes it);
//   - a release without component versions stands for the environment as a
//     whole: its deployments supersede each other and nothing else.
//
// Each result names the CIs it is live for; results are in deployment order.
func (s *Store) LiveDeployments(ctx context.Context, env string, at time.Time) ([]deploy.Live, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.release_id, r.version, d.change_id, d.finished_at, k.ci
		FROM (SELECT d.id AS dep_id, COALESCE(cv.ci, '') AS ci,
				ROW_NUMBER() OVER (PARTITION BY COALESCE(cv.ci, '') ORDER BY d.finished_at DESC, d.id DESC) AS rn
			FROM deployments d
			LEFT JOIN release_components rc ON rc.release_id = d.release_id
			LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
			WHERE d.env = $1 AND d.status = $2 AND d.finished_at <= $3) k
		JOIN deployments d ON d.id = k.dep_id
		JOIN releases r ON r.id = d.release_id
		WHERE k.rn = 1 ORDER BY d.id, k.ci`, env, deploy.Succeeded, ts(at))
	if err != nil {
		return nil, errf(err, "live deployments")
	}
	out := []deploy.Live{}
	var relIDs []int64
	for rows.Next() {
		var id, rel int64
		var chg sql.NullInt64
		var l deploy.Live
		var ci string
		if err := rows.Scan(&id, &rel, &l.Version, &chg, timeCol{&l.FinishedAt}, &ci); err != nil {
			rows.Close()
			return nil, errf(err, "scan live deployment")
		}
		l.Deployment, l.Release = ident.Deployment.Format(id), ident.Release.Format(rel)
		if chg.Valid {
			l.Change = ident.Change.Format(chg.Int64)
		}
		if n := len(out); n == 0 || out[n-1].Deployment != l.Deployment {
			l.CIs = []string{}
			out = append(out, l)
			relIDs = append(relIDs, rel)
		}
		if ci != "" {
			out[len(out)-1].CIs = append(out[len(out)-1].CIs, ci)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errf(err, "live deployments")
	}
	for i := range out {
		var r release.Release
		if err := loadReleaseLinks(ctx, s.db, relIDs[i], &r); err != nil {
			return nil, errf(err, "live deployments")
		}
		out[i].Components = r.Components
	}
	return out, nil
}

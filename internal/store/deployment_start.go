package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
)

// StartRequest is what `deploy start` asks for: a release into an
// environment along explicit Stages, or the policy path named Path, else
// the environment's or the change model's path (rollout.Plan), carried by
// Driver (else the environment record's, else the policy's).
type StartRequest struct {
	Release string
	Env     string
	Stages  []deploy.Stage
	Path    string
	Change  string
	Driver  string
	// Deviation is an approved deviation of the change, CHG-n#i: the
	// change is taken from it when Change is empty.
	Deviation string
}

// StartDeployment is the start use case: it plans the path and driver
// (rollout.Plan), checks the release, environment and change (nothing is
// written on bad input: Invalid naming the field, Conflict when the
// release is already being deployed there), evaluates the gate for
// exactly that release, environment, path and time (EvaluateGate, which
// records GATE-n) and stores the attempt pointing at the evaluation. Not
// allowed: the deployment is `blocked`, no action queued. Allowed: it is
// `running` at stage 0 with the deploy action queued and next_step_at now,
// and the release goes deploying (from approved). Both are audited; the
// evaluation is returned either way.
func (s *Store) StartDeployment(ctx context.Context, a audit.Actor, r StartRequest, pol *policy.Policy, polVersion int64) (deploy.Deployment, GateEvaluation, error) {
	d := deploy.Deployment{Release: r.Release, Env: r.Env, Change: r.Change, Path: []deploy.Stage{{Name: "x", Weight: 100}}}
	dev, err := deviationChange(&r)
	if err != nil {
		return d, GateEvaluation{}, err
	}
	d.Change = r.Change
	if err := d.Validate(); err != nil { // ids and the environment's name
		return d, GateEvaluation{}, err
	}
	if err := s.checkStartDeviation(ctx, r.Deviation, d.Change, dev); err != nil {
		return d, GateEvaluation{}, err
	}
	model, err := s.changeModel(ctx, d.Change)
	if err != nil {
		return d, GateEvaluation{}, err
	}
	env, err := s.GetEnvironment(ctx, d.Env)
	if err != nil && fault.CodeOf(err) != fault.NotFound { // an unknown environment is refused below, naming the field
		return d, GateEvaluation{}, err
	}
	if d.Path, d.Driver, err = rollout.Plan(pol, rollout.Request{Env: d.Env, Stages: r.Stages, PathName: r.Path, Model: model,
		Driver: r.Driver, EnvDriver: env.Driver}); err != nil {
		return d, GateEvaluation{}, err
	}
	if err := s.write(ctx, a, func(tx *Tx) error { // the refs, before the gate records anything
		_, _, err := tx.checkDeploymentRefs(ctx, &d)
		if err == nil {
			err = errPrecheckOnly
		}
		return err
	}); !errors.Is(err, errPrecheckOnly) {
		return d, GateEvaluation{}, err
	}
	relID, _ := ident.Release.Parse("release", d.Release)
	q := GateQuery{Release: relID, Env: d.Env, At: s.Now()}
	for _, st := range d.Path {
		q.Path = append(q.Path, gate.Stage{Name: st.Name, Weight: st.Weight})
	}
	ev, err := s.EvaluateGate(ctx, a, q, pol, polVersion)
	if err != nil {
		return d, ev, err
	}
	if afterStartGate != nil {
		afterStartGate()
	}
	err = s.write(ctx, a, func(tx *Tx) error {
		if err := tx.insertStarted(ctx, &d, ev); err != nil || r.Deviation == "" {
			return err
		}
		return tx.engineEvent(ctx, &d, "deviation", "started naming deviation "+r.Deviation)
	})
	return d, ev, err
}

var errPrecheckOnly = errors.New("precheck only")

// afterStartGate, set by tests only, runs between the start's gate
// evaluation and its insert: the window checkInputsCurrent closes.
var afterStartGate func()

// changeModel returns the change model of change chg ("" without a change).
func (s *Store) changeModel(ctx context.Context, chg string) (string, error) {
	if chg == "" {
		return "", nil
	}
	n, _ := ident.Change.Parse("change", chg)
	var m string
	err := s.db.QueryRowContext(ctx, `SELECT change_model FROM changes WHERE id = $1`, n).Scan(&m)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fault.Field("change", "change %s does not exist", chg)
	}
	return m, errf(err, "change model")
}

// insertStarted stores d as started under evaluation ev: blocked, or
// running with its first action queued.
func (tx *Tx) insertStarted(ctx context.Context, d *deploy.Deployment, ev GateEvaluation) error {
	relID, chgID, err := tx.checkDeploymentRefs(ctx, d)
	if err != nil {
		return err
	}
	if err := tx.checkInputsCurrent(ctx, ev.InputRevisions); err != nil {
		return err
	}
	if d.PreviousVersion, err = tx.previousVersion(ctx, relID, d.Env); err != nil {
		return err
	}
	gateID, _ := ident.Gate.Parse("gate", ev.ID)
	d.Gate, d.Status = ev.ID, deploy.Blocked
	d.Revision, d.CreatedBy, d.CreatedAt, d.UpdatedAt = 1, tx.actor.User, tx.now, tx.now
	var next any
	if ev.Decision == gate.Allowed {
		d.Status, d.StartedAt, d.NextStepAt = deploy.Running, &tx.now, &tx.now
		next = ts(tx.now)
	}
	var id int64
	if err := tx.queryRow(ctx, `INSERT INTO deployments (release_id, env, change_id, status, path, current_stage, rev, created_by,
		created_at, updated_at, driver, gate_id, previous_version, started_at, next_step_at)
		VALUES ($1, $2, $3, $4, $5, 0, 1, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		relID, d.Env, chgID, d.Status, jsonText(d.Path), d.CreatedBy, ts(tx.now), ts(tx.now), d.Driver, gateID,
		d.PreviousVersion, tsp(d.StartedAt), next).Scan(&id); err != nil {
		return err
	}
	d.ID = ident.Deployment.Format(id)
	if err := tx.auditEvent(ctx, "deployment.start", "deployment", d.ID, 1, nil, d); err != nil {
		return err
	}
	return tx.logStart(ctx, d, ev, relID)
}

// logStart writes the start's log events and, when it runs, queues the
// deploy action and moves the release to deploying.
func (tx *Tx) logStart(ctx context.Context, d *deploy.Deployment, ev GateEvaluation, relID int64) error {
	msg := fmt.Sprintf("deploy %s into %s along %s with driver %s; gate %s: %s", d.Release, d.Env, deploy.PathString(d.Path),
		d.Driver, ev.ID, ev.Decision)
	if d.PreviousVersion != "" {
		msg += "; a rollback restores " + d.PreviousVersion
	}
	if _, err := tx.logDeploymentEvent(ctx, d, deploy.Event{Kind: deploy.EventCreated, Message: msg, Links: []string{}}); err != nil {
		return err
	}
	for _, r := range ev.Verdict.Rules {
		if r.Result == gate.Warn && strings.Contains(r.Reason, "deviation") {
			if err := tx.engineEvent(ctx, d, "deviation", "started under a deviation for rule "+r.Rule+": "+r.Reason); err != nil {
				return err
			}
		}
	}
	if d.Status == deploy.Blocked {
		return tx.engineEvent(ctx, d, deploy.EventStatus, "blocked by "+ev.ID+": "+strings.Join(failingLines(ev.Verdict, 5), "; "))
	}
	if _, err := tx.queueAction(ctx, d, rollout.ActionDeploy); err != nil {
		return err
	}
	if err := tx.engineEvent(ctx, d, deploy.EventStatus, "running: gate "+ev.ID+" allowed it"); err != nil {
		return err
	}
	return tx.followRelease(ctx, relID, release.Deploying, release.Approved)
}

// failingLines renders the first n failing (or undecided) lines of v as
// "rule: reason".
func failingLines(v gate.Verdict, n int) []string {
	var out []string
	for _, r := range v.Rules {
		if (r.Result == gate.Fail || r.Undecided) && len(out) < n {
			out = append(out, r.Rule+": "+r.Reason)
		}
	}
	return out
}

// engineEvent logs one of the server's own events on d's log.
func (tx *Tx) engineEvent(ctx context.Context, d *deploy.Deployment, kind, msg string) error {
	if len(msg) > deploy.MaxMessage {
		msg = strings.ToValidUTF8(msg[:deploy.MaxMessage], "")
	}
	_, err := tx.logDeploymentEvent(ctx, d, deploy.Event{Kind: kind, Message: msg, Links: []string{}})
	return err
}

// followRelease moves release relID to `to` with its audit event when its
// status is one of from (any status when from is empty) and the release
// lifecycle allows the move; otherwise it leaves the release alone.
func (tx *Tx) followRelease(ctx context.Context, relID int64, to string, from ...string) error {
	before, err := tx.getRelease(ctx, relID)
	if err != nil {
		return err
	}
	if before.Status == to || (len(from) > 0 && !slices.Contains(from, before.Status)) || release.Machine.Check(before.Status, to) != nil {
		return nil
	}
	r := before
	r.Status, r.Revision, r.UpdatedAt = to, before.Revision+1, tx.now
	if err := tx.updateRev(ctx, "release "+r.ID, before.Revision, `UPDATE releases SET status = $1, rev = $2, updated_at = $3
		WHERE id = $4 AND rev = $5`, r.Status, r.Revision, ts(tx.now), relID, before.Revision); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "release.move", "release", r.ID, r.Revision, before, r)
}

// previousVersion is what a rollback of a deployment of release relID into
// env restores: the release version of the last verified (else the last
// succeeded) deployment into env of another release sharing a CI with it
// (any release when relID has no components), "" when there is none.
func (tx *Tx) previousVersion(ctx context.Context, relID int64, env string) (string, error) {
	var v string
	err := tx.queryRow(ctx, `SELECT r.version FROM deployments d JOIN releases r ON r.id = d.release_id
		WHERE d.env = $1 AND d.status = $2 AND d.release_id <> $3
		AND (NOT EXISTS (SELECT 1 FROM release_components WHERE release_id = $3)
			OR EXISTS (SELECT 1 FROM release_components rc1 JOIN component_versions c1 ON c1.id = rc1.component_version_id
				JOIN component_versions c2 ON c2.ci = c1.ci JOIN release_components rc2 ON rc2.component_version_id = c2.id
				WHERE rc1.release_id = d.release_id AND rc2.release_id = $3))
		ORDER BY CASE WHEN d.verified_at IS NULL THEN 1 ELSE 0 END, d.finished_at DESC, d.id DESC LIMIT 1`,
		env, deploy.Succeeded, relID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

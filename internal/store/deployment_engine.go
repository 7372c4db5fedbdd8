package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
)

// The rollout engine (internal/engine) steps deployments: it takes the due
// ones (DueDeployments), claims one (ClaimDeployment: a lease, so of
// several replicas one steps it), loads its facts (LoadRollout), asks
// rollout.Next and carries the decision out through the methods below,
// each a compare-and-set on the revision it read, then sets the next step
// time and gives the lease back (ReleaseDeployment). Leases and step times
// are scheduling, not record content: they change no revision and are not
// audited.

// ClaimDeployment takes deployment id's lease for holder until now+lease
// when it is free, expired or already holder's. It reports whether holder
// has it: of two holders claiming at once exactly one wins.
func (s *Store) ClaimDeployment(ctx context.Context, id int64, holder string, lease time.Duration) (bool, error) {
	var n int64
	err := s.write(ctx, audit.Actor{}, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE deployments SET lease_holder = $1, lease_until = $2
		WHERE id = $3 AND (lease_until IS NULL OR lease_until < $4 OR lease_holder = $1)`, holder, ts(tx.now.Add(lease)), id, ts(tx.now))
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n == 1, err
}

// ReleaseDeployment gives holder's lease on deployment id back and sets
// its next step time: next (nil: none, an event wakes it) when the
// deployment is still at revision rev, else now (it changed meanwhile, e.g.
// a person promoted it: look again at once).
func (s *Store) ReleaseDeployment(ctx context.Context, id int64, holder string, rev int64, next *time.Time) error {
	return s.EndStep(ctx, audit.Actor{}, id, holder, rev, next, nil)
}

func (tx *Tx) releaseDeployment(ctx context.Context, id int64, holder string, rev int64, next *time.Time) error {
	const q = `UPDATE deployments SET lease_holder = '', lease_until = NULL, next_step_at = $1
		WHERE id = $2 AND lease_holder = $3`
	res, err := tx.exec(ctx, q+` AND rev = $4`, tsp(next), id, holder, rev)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 { // changed meanwhile (or not ours: then this changes nothing either)
		_, err = tx.exec(ctx, q, ts(tx.now), id, holder)
	}
	return err
}

// DueDeployments returns up to limit deployments whose next step is due at
// now and whose lease is free, oldest due first (index deployments_next_step).
func (s *Store) DueDeployments(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM deployments WHERE next_step_at <= $1
		AND (lease_until IS NULL OR lease_until < $1) ORDER BY next_step_at LIMIT $2`, ts(now), limit)
	if err != nil {
		return nil, errf(err, "due deployments")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errf(err, "due deployments")
		}
		out = append(out, id)
	}
	return out, errf(rows.Err(), "due deployments")
}

// ClaimDue takes holder's lease, until now+lease, on up to limit
// deployments whose next step is due at now and whose lease is free or
// expired (the oldest due when more are), in one write transaction, and
// returns their ids. Of two holders claiming at once, each deployment goes to one: the
// lease condition is checked again on the row being updated (PostgreSQL
// re-reads a row a concurrent claim changed).
func (s *Store) ClaimDue(ctx context.Context, holder string, lease time.Duration, limit int) ([]int64, error) {
	var out []int64
	err := s.write(ctx, audit.Actor{}, func(tx *Tx) error {
		var err error
		out, err = tx.int64s(ctx, `UPDATE deployments SET lease_holder = $1, lease_until = $2
			WHERE id IN (SELECT id FROM deployments WHERE next_step_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
				ORDER BY next_step_at LIMIT $4)
			AND next_step_at <= $3 AND (lease_until IS NULL OR lease_until < $3) RETURNING id`,
			holder, ts(tx.now.Add(lease)), ts(tx.now), limit)
		return err
	})
	return out, err
}

// GiveBack gives holder's lease on deployment id back, leaving its next
// step time as it is (a claimed deployment that was not stepped).
func (s *Store) GiveBack(ctx context.Context, id int64, holder string) error {
	return s.write(ctx, audit.Actor{}, func(tx *Tx) error {
		_, err := tx.exec(ctx, `UPDATE deployments SET lease_holder = '', lease_until = NULL WHERE id = $1 AND lease_holder = $2`, id, holder)
		return err
	})
}

// Rollout is what the engine decides one deployment's step from.
type Rollout struct {
	Deployment deploy.Deployment
	Latest     *DeploymentAction           // the latest action, nil: none
	Stage      string                      // the stage whose measurements count now (rollout.Window)
	Tallies    map[CheckKey]analysis.Tally // of Stage's measurements, per check (Tallies)
	Version    string                      // the release's version
	Model      string                      // the change's change model, "" without one
	Priorities []int                       // of the problems the release resolves
	CIs        []string                    // of the release's component versions
}

// LoadRollout loads deployment id's facts for the engine: of the
// measurements, the tallies of the stage that counts now, which is all a
// decision reads of them (analysis.JudgeTally, DueTally).
func (s *Store) LoadRollout(ctx context.Context, id int64) (Rollout, error) {
	var r Rollout
	var err error
	if r.Deployment, err = s.GetDeployment(ctx, id); err != nil {
		return r, err
	}
	latest, err := scanAction(s.queryRowHot(ctx, `SELECT `+actionCols+` FROM deployment_actions WHERE deployment_id = $1
		ORDER BY seq DESC LIMIT 1`, id), r.Deployment.Path)
	switch {
	case err == nil:
		r.Latest = &latest
	case !errors.Is(err, sql.ErrNoRows):
		return r, errf(err, "rollout latest action")
	}
	r.Stage, _ = rollout.Window(r.Deployment, s.Now())
	if r.Tallies, err = s.Tallies(ctx, id, r.Stage); err != nil {
		return r, err
	}
	relID, _ := ident.Release.Parse("release", r.Deployment.Release)
	if err := s.queryRowHot(ctx, `SELECT version FROM releases WHERE id = $1`, relID).Scan(&r.Version); err != nil {
		return r, errf(err, "rollout release")
	}
	if r.Model, err = s.changeModel(ctx, r.Deployment.Change); err != nil {
		return r, err
	}
	if r.Priorities, err = s.ints(ctx, `SELECT p.priority FROM problems p JOIN release_problems rp ON rp.problem_id = p.id
		WHERE rp.release_id = $1`, relID); err != nil {
		return r, err
	}
	r.CIs, err = s.strings(ctx, `SELECT DISTINCT cv.ci FROM release_components rc JOIN component_versions cv
		ON cv.id = rc.component_version_id WHERE rc.release_id = $1 ORDER BY cv.ci`, relID)
	return r, err
}

func (s *Store) ints(ctx context.Context, q string, args ...any) ([]int, error) {
	rows, err := s.queryHot(ctx, q, args...)
	if err != nil {
		return nil, errf(err, "query")
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return nil, errf(err, "scan")
		}
		out = append(out, n)
	}
	return out, errf(rows.Err(), "query")
}

func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.queryHot(ctx, q, args...)
	if err != nil {
		return nil, errf(err, "query")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, errf(err, "scan")
		}
		out = append(out, v)
	}
	return out, errf(rows.Err(), "query")
}

// stepDeployment loads deployment id with its row lock, checks ifRev (0:
// unguarded), applies fn and saves the result with its audit event under
// action, in a transaction of its own. Nothing is written on error.
func (s *Store) stepDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, action string,
	fn func(tx *Tx, d *deploy.Deployment) error) (deploy.Deployment, error) {
	var d deploy.Deployment
	err := s.write(ctx, a, func(tx *Tx) error {
		var err error
		d, err = tx.stepDeployment(ctx, id, ifRev, action, fn)
		return err
	})
	return d, err
}

// stepDeployment is Store.stepDeployment in tx: when fn fails, nothing of
// the step is written (fn must fail before its own writes).
func (tx *Tx) stepDeployment(ctx context.Context, id, ifRev int64, action string,
	fn func(tx *Tx, d *deploy.Deployment) error) (deploy.Deployment, error) {
	before, err := tx.getDeployment(ctx, id)
	if err != nil {
		return before, err
	}
	if err := checkRev("deployment "+before.ID, before.Revision, ifRev); err != nil {
		return before, err
	}
	d := before
	d.Path = slices.Clone(before.Path)
	if err := fn(tx, &d); err != nil {
		return before, err
	}
	if err := tx.saveDeployment(ctx, &before, &d); err != nil {
		return before, err
	}
	return d, tx.auditEvent(ctx, action, "deployment", d.ID, d.Revision, before, d)
}

// AdvanceRollout promotes running deployment id to its next stage after
// gate evaluation gateID allowed it: the promote action is queued and the
// stage's clock starts when it succeeded.
func (s *Store) AdvanceRollout(ctx context.Context, a audit.Actor, id, ifRev int64, gateID string) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.promote", func(tx *Tx, d *deploy.Deployment) error {
		from := d.Stage()
		if err := d.Advance(); err != nil {
			return err
		}
		if err := tx.checkEvaluationCurrent(ctx, gateID); err != nil {
			return err
		}
		d.PromoteRequested, d.StageStartedAt, d.NextStepAt = false, nil, &tx.now
		if _, err := tx.queueAction(ctx, d, rollout.ActionPromote); err != nil {
			return err
		}
		return tx.engineEvent(ctx, d, deploy.EventAdvanced, fmt.Sprintf("%s %d%% → %s %d%%: gate %s allowed it",
			from.Name, from.Weight, d.Stage().Name, d.Stage().Weight, gateID))
	})
}

// PauseDeployment pauses running deployment id for a person (`deploy
// promote` resumes it, `deploy rollback` rolls it back).
func (s *Store) PauseDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, reason string) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.pause", func(tx *Tx, d *deploy.Deployment) error {
		if err := d.Move(deploy.Paused, tx.now); err != nil {
			return err
		}
		d.PauseReason, d.PromoteRequested, d.NextStepAt = reason, false, nil
		return tx.engineEvent(ctx, d, deploy.EventStatus, "paused: "+reason)
	})
}

// SucceedDeployment moves running deployment id to succeeded at its last
// stage; the watch runs until watchUntil. In a production environment the
// release goes deployed and the problems it fixes are resolved
// (resolveByDeployment).
func (s *Store) SucceedDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, watchUntil time.Time) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.succeed", func(tx *Tx, d *deploy.Deployment) error {
		if d.CurrentStage < len(d.Path)-1 {
			return fault.New(fault.PreconditionFailed, "%s is at stage %s, not the last", d.ID, d.Stage().Name)
		}
		if err := d.Move(deploy.Succeeded, tx.now); err != nil {
			return err
		}
		d.WatchUntil, d.PromoteRequested, d.NextStepAt = &watchUntil, false, &tx.now
		if err := tx.engineEvent(ctx, d, deploy.EventStatus, "succeeded at 100%; watched until "+watchUntil.Format(time.RFC3339)); err != nil {
			return err
		}
		prod, err := tx.production(ctx, d.Env)
		if err != nil || !prod {
			return err
		}
		relID, _ := ident.Release.Parse("release", d.Release)
		if err := tx.followRelease(ctx, relID, release.Deployed, release.Deploying); err != nil {
			return err
		}
		return tx.resolveByDeployment(ctx, d)
	})
}

// VerifyDeployment records that succeeded deployment id's watch window
// passed; in production the release goes verified.
func (s *Store) VerifyDeployment(ctx context.Context, a audit.Actor, id, ifRev int64) (deploy.Deployment, error) {
	return s.stepDeployment(ctx, a, id, ifRev, "deployment.verify", func(tx *Tx, d *deploy.Deployment) error {
		if d.Status != deploy.Succeeded || d.VerifiedAt != nil {
			return conflictStatus(d, "only a succeeded deployment in its watch is verified")
		}
		d.VerifiedAt, d.NextStepAt = &tx.now, nil
		if err := tx.engineEvent(ctx, d, "verified", "the watch window passed"); err != nil {
			return err
		}
		prod, err := tx.production(ctx, d.Env)
		if err != nil || !prod {
			return err
		}
		relID, _ := ident.Release.Parse("release", d.Release)
		return tx.followRelease(ctx, relID, release.Verified, release.Deployed)
	})
}

func (tx *Tx) production(ctx context.Context, env string) (bool, error) {
	var tier string
	err := tx.queryRow(ctx, `SELECT tier FROM environments WHERE name = $1`, env).Scan(&tier)
	return tier == environment.Production, err
}

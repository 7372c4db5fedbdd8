package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// Kinds of problem resolution.
const (
	ResolvedByDeployment = "deployment" // a problem-fix release succeeded in production
	ResolvedByDeviation  = "deviation"  // a hand move with an approved deviation
)

// DeviationProductionFix is the step a hand move to resolved skips: a
// problem-fix release resolving the problem succeeding in production.
const DeviationProductionFix = "production_fix"

// ProblemResolution records how a problem became resolved: the deployment
// and release that succeeded in production, or the deviation (reason,
// approver, requester) of a hand move.
type ProblemResolution struct {
	ID          int64     `json:"id"`
	Problem     string    `json:"problem"`
	Revision    int64     `json:"problem_revision"` // the revision the resolution produced
	Kind        string    `json:"kind"`
	Deployment  string    `json:"deployment,omitempty"`
	Release     string    `json:"release,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	RequestedBy string    `json:"requested_by"`
	At          time.Time `json:"at"`
}

// ResolveProblem moves problem id to resolved by hand with deviation dev
// (problem.Resolve: nil is refused; a reason, approved by a
// problem_manager other than a.User, and a validated RCA), guarded by ifRev (0 skips the check). It
// writes the problem with its problem.resolve audit event and the
// deviation as a resolution row with its problem.resolved_by_deviation
// event, in one transaction. Returns Invalid naming
// "deviation.approved_by" for an unknown user; nothing is written on error.
func (s *Store) ResolveProblem(ctx context.Context, a audit.Actor, id, ifRev int64, dev *problem.Deviation) (problem.Problem, error) {
	var p problem.Problem
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.lockProblem(ctx, id); err != nil {
			return err
		}
		before, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("problem "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		if dev != nil && dev.ApprovedBy != "" {
			d := *dev
			if d.ApproverRoles, err = tx.activeRoles(ctx, d.ApprovedBy); err != nil {
				return err
			}
			dev = &d
		}
		obs, err := tx.observation(ctx, before.Priority)
		if err != nil {
			return err
		}
		p = cloneProblem(before)
		if err := p.Resolve(a.User, tx.now, obs, problem.Facts{Deviation: dev}); err != nil {
			return err
		}
		return tx.saveResolution(ctx, id, before, &p, ProblemResolution{Kind: ResolvedByDeviation,
			Reason: dev.Reason, ApprovedBy: dev.ApprovedBy})
	})
	return p, err
}

// resolveByDeployment resolves, in the caller's transaction, the problems
// in fix_in_progress that d's release resolves, when d (just moved to
// succeeded) ran in a production environment and the release is a
// problem-fix (or mixed) release. Each problem gets its problem.resolve
// audit event and a resolution row naming d and its release
// (problem.resolved_by_deployment). Other deployments change nothing.
func (tx *Tx) resolveByDeployment(ctx context.Context, d *deploy.Deployment) error {
	relID, err := ident.Release.Parse("release", d.Release)
	if err != nil {
		return err
	}
	var tier, typ string
	if err := tx.queryRow(ctx, `SELECT e.tier, r.type FROM environments e, releases r WHERE e.name = $1 AND r.id = $2`,
		d.Env, relID).Scan(&tier, &typ); err != nil {
		return err
	}
	if tier != environment.Production || typ == release.Feature {
		return nil
	}
	// On PostgreSQL (READ COMMITTED) the problem rows are locked until
	// commit: a concurrent resolution (another production environment, a
	// hand move) commits first and the status is re-checked on its result;
	// SQLite's BEGIN IMMEDIATE serialises writers already.
	q := `SELECT rp.problem_id FROM release_problems rp JOIN problems p ON p.id = rp.problem_id
		WHERE rp.release_id = $1 AND p.status = $2 ORDER BY rp.problem_id`
	if tx.dialect == Postgres {
		q += ` FOR UPDATE OF p`
	}
	ids, err := tx.int64s(ctx, q, relID, problem.FixInProgress)
	if err != nil {
		return err
	}
	for _, id := range ids {
		before, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		obs, err := tx.observation(ctx, before.Priority)
		if err != nil {
			return err
		}
		p := cloneProblem(before)
		if err := p.Resolve(tx.actor.User, tx.now, obs, problem.Facts{Fix: d.ID}); err != nil {
			return err
		}
		if err := tx.saveResolution(ctx, id, before, &p, ProblemResolution{Kind: ResolvedByDeployment,
			Deployment: d.ID, Release: d.Release}); err != nil {
			return err
		}
	}
	return nil
}

// lockProblem locks problem id's row until commit on PostgreSQL, so the
// read that follows is the one the write replaces (a concurrent
// resolution commits first); SQLite's BEGIN IMMEDIATE serialises writers
// already. A missing problem is left to the read.
func (tx *Tx) lockProblem(ctx context.Context, id int64) error {
	if tx.dialect != Postgres {
		return nil
	}
	err := tx.queryRow(ctx, `SELECT id FROM problems WHERE id = $1 FOR UPDATE`, id).Scan(new(int64))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

func cloneProblem(p problem.Problem) problem.Problem {
	q := p
	q.CIs, q.Environments = append([]string{}, p.CIs...), append([]string{}, p.Environments...)
	return q
}

// saveResolution saves p (resolved from before) with its audit event, then
// the resolution row r and its own audit event.
func (tx *Tx) saveResolution(ctx context.Context, id int64, before problem.Problem, p *problem.Problem, r ProblemResolution) error {
	p.Revision, p.UpdatedAt = before.Revision+1, tx.now
	if err := tx.saveProblem(ctx, id, p); err != nil {
		return err
	}
	if err := tx.auditEvent(ctx, "problem.resolve", "problem", p.ID, p.Revision, before, p); err != nil {
		return err
	}
	r.Problem, r.Revision, r.RequestedBy, r.At = p.ID, p.Revision, tx.actor.User, tx.now
	var dep, rel any
	if r.Deployment != "" {
		dep, _ = ident.Deployment.Parse("deployment", r.Deployment)
		rel, _ = ident.Release.Parse("release", r.Release)
	}
	if err := tx.queryRow(ctx, `INSERT INTO problem_resolutions (problem_id, problem_rev, kind, deployment_id, release_id,
		reason, approved_by, requested_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		id, r.Revision, r.Kind, dep, rel, r.Reason, r.ApprovedBy, r.RequestedBy, ts(r.At)).Scan(&r.ID); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "problem.resolved_by_"+r.Kind, "problem_resolution", p.ID+"#"+strconv.FormatInt(r.ID, 10), 1, nil, r)
}

// activeRoles returns the roles of user name (none when disabled).
// Returns Invalid naming "deviation.approved_by" for an unknown user.
func (tx *Tx) activeRoles(ctx context.Context, name string) ([]string, error) {
	var roles string
	var disabled bool
	err := tx.queryRow(ctx, `SELECT roles, disabled FROM users WHERE name = $1`, name).Scan(&roles, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fault.Field("deviation.approved_by", "user %q does not exist", name)
	}
	if err != nil || disabled {
		return nil, err
	}
	out := []string{}
	for _, r := range parseRoles(roles) {
		out = append(out, string(r))
	}
	return out, nil
}

// observation returns the observation period for priority from the
// current stored policy (the built-in default when none is stored).
func (tx *Tx) observation(ctx context.Context, priority int) (time.Duration, error) {
	var yaml string
	err := tx.queryRow(ctx, `SELECT yaml FROM policies ORDER BY version DESC LIMIT 1`).Scan(&yaml)
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Default().Observation(priority), nil
	}
	if err != nil {
		return 0, err
	}
	pol, err := policy.Parse([]byte(yaml))
	if err != nil {
		return 0, fault.Wrap(err, "the stored policy does not parse")
	}
	return pol.Observation(priority), nil
}

// int64s runs q and returns its single int64 column.
func (tx *Tx) int64s(ctx context.Context, q string, args ...any) ([]int64, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ProblemResolutions returns how problem id was resolved, oldest first.
func (s *Store) ProblemResolutions(ctx context.Context, id int64) ([]ProblemResolution, error) {
	rows, err := s.db.QueryContext(ctx, problemResolutionSelect+` WHERE problem_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errf(err, "list problem resolutions")
	}
	defer rows.Close()
	out := []ProblemResolution{}
	for rows.Next() {
		r, err := scanResolution(rows)
		if err != nil {
			return nil, errf(err, "scan problem resolution")
		}
		out = append(out, r)
	}
	return out, errf(rows.Err(), "list problem resolutions")
}

const problemResolutionSelect = `SELECT id, problem_id, problem_rev, kind, deployment_id, release_id, reason, approved_by,
	requested_by, at FROM problem_resolutions`

func scanResolution(sc interface{ Scan(...any) error }) (ProblemResolution, error) {
	var r ProblemResolution
	var prb int64
	var dep, rel sql.NullInt64
	err := sc.Scan(&r.ID, &prb, &r.Revision, &r.Kind, &dep, &rel, &r.Reason, &r.ApprovedBy, &r.RequestedBy, timeCol{&r.At})
	r.Problem = ident.Problem.Format(prb)
	if dep.Valid {
		r.Deployment = ident.Deployment.Format(dep.Int64)
	}
	if rel.Valid {
		r.Release = ident.Release.Format(rel.Int64)
	}
	return r, err
}

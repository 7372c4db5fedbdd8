package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// ControlFacts reads what the governance controls decide on for period p:
// one bounded, set-based query per control over the records of the period
// (production deployments started in it, approvals given in it, problems
// resolved or closed in it), plus a verification of the audit chain
// against the latest stored checkpoint. It writes nothing.
func (s *Store) ControlFacts(ctx context.Context, p control.Period) (control.Facts, error) {
	f := control.Facts{Deployments: []control.Deployment{}, Fixes: []control.Fix{}, SelfApprovals: []control.SelfApproval{},
		Fixed: []control.FixedProblem{}, Closed: []control.Closure{}, Evidence: []control.Evidence{}}
	from, to := ts(p.From), ts(p.To)
	steps := []func() error{
		func() error { return s.controlDeployments(ctx, from, to, &f) },
		func() error { return s.controlFixes(ctx, from, to, &f) },
		func() error { return s.controlApprovals(ctx, from, to, &f) },
		func() error { return s.controlProblems(ctx, from, to, &f) },
		func() error { return s.controlEvidence(ctx, from, to, &f) },
		func() (err error) { f.Audit, err = s.controlAudit(ctx); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return f, errf(err, "control facts")
		}
	}
	return f, nil
}

// prodFrom reads deployments d to production environments; startedIn
// keeps those started in [$1, $2).
const (
	prodFrom  = ` FROM deployments d JOIN environments en ON en.name = d.env AND en.tier = 'production'`
	startedIn = ` WHERE d.started_at >= $1 AND d.started_at < $2`
)

// controlDeployments reads each production deployment with its change and
// the newest gate evaluation of its release for its environment recorded
// at or before its start (controls gate_and_change, approvals_by_risk, deviations_approved).
func (s *Store) controlDeployments(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.release_id, d.env, d.started_at, d.change_id, COALESCE(c.status, ''),
		COALESCE(c.deviations, '[]'), ge.id, COALESCE(ge.decision, ''), COALESCE(gv.verdict, ge.verdict, '')`+prodFrom+`
		LEFT JOIN changes c ON c.id = d.change_id
		LEFT JOIN gate_evaluations ge ON ge.id = (SELECT MAX(g.id) FROM gate_evaluations g
			WHERE g.release_id = d.release_id AND g.env = d.env AND g.created_at <= d.started_at)
		LEFT JOIN gate_verdicts gv ON gv.digest = ge.verdict_digest`+startedIn+` ORDER BY d.id`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d control.Deployment
		var id, rel int64
		var chg, gid sql.NullInt64
		var verdict string
		if err := rows.Scan(&id, &rel, &d.Env, timeCol{&d.StartedAt}, &chg, &d.ChangeStatus, jsonCol{&d.Deviations},
			&gid, &d.GateDecision, &verdict); err != nil {
			return err
		}
		d.ID, d.Release = ident.Deployment.Format(id), ident.Release.Format(rel)
		if chg.Valid {
			d.Change = ident.Change.Format(chg.Int64)
		}
		if gid.Valid {
			d.Gate = ident.Gate.Format(gid.Int64)
			var v gate.Verdict
			if err := (jsonCol{&v}).Scan(verdict); err != nil {
				return err
			}
			d.Approvals = v.RuleResult(gate.RuleApprovals)
		}
		if d.Deviations == nil {
			d.Deviations = []control.Deviation{}
		}
		f.Deployments = append(f.Deployments, d)
	}
	return rows.Err()
}

// controlFixes pairs each production deployment with the problems its
// release resolves and the first validation of each RCA not withdrawn by
// the start (problems.rca_validated_at for validations recorded before
// rca_validations existed) (control rca_before_deploy).
func (s *Store) controlFixes(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, rp.problem_id, d.started_at,
		COALESCE((SELECT MIN(v.at) FROM rca_validations v WHERE v.problem_id = rp.problem_id
			AND (v.withdrawn_at IS NULL OR v.withdrawn_at > d.started_at)), p.rca_validated_at)`+prodFrom+`
		JOIN release_problems rp ON rp.release_id = d.release_id JOIN problems p ON p.id = rp.problem_id`+startedIn+`
		ORDER BY d.id, rp.problem_id`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x control.Fix
		var dep, prb int64
		if err := rows.Scan(&dep, &prb, timeCol{&x.StartedAt}, nullTimeCol{&x.Validated}); err != nil {
			return err
		}
		x.Deployment, x.Problem = ident.Deployment.Format(dep), ident.Problem.Format(prb)
		f.Fixes = append(f.Fixes, x)
	}
	return rows.Err()
}

// controlApprovals counts the approve decisions given in the period and
// reads those given by the release's creator or the change's requester
// (control separation_of_duties).
func (s *Store) controlApprovals(ctx context.Context, from, to string, f *control.Facts) error {
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM approvals WHERE decision = 'approve' AND at >= $1 AND at < $2`,
		from, to).Scan(&f.Approvals)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.record_id, a.approver,
		CASE WHEN a.record_type = 'release' THEN 'created' ELSE 'requested' END
		FROM approvals a
		LEFT JOIN releases r ON a.record_type = 'release' AND r.id = CAST(SUBSTR(a.record_id, 5) AS BIGINT)
		LEFT JOIN changes c ON a.record_type = 'change' AND c.id = CAST(SUBSTR(a.record_id, 5) AS BIGINT)
		WHERE a.decision = 'approve' AND a.at >= $1 AND a.at < $2 AND (a.approver = r.created_by OR a.approver = c.requested_by)
		ORDER BY a.id`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x control.SelfApproval
		var id int64
		if err := rows.Scan(&id, &x.Record, &x.Approver, &x.As); err != nil {
			return err
		}
		x.Approval = ident.Approval.Format(id)
		f.SelfApprovals = append(f.SelfApprovals, x)
	}
	return rows.Err()
}

// controlProblems reads the problems resolved in the period with their
// first PIR (pir_for_fix) and those closed in it with the end of their
// observation period (observation_before_closure).
func (s *Store) controlProblems(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, (SELECT MIN(x.id) FROM pirs x WHERE x.problem_id = p.id)
		FROM problems p WHERE p.resolved_at >= $1 AND p.resolved_at < $2 ORDER BY p.id`, from, to)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var pir sql.NullInt64
		if err := rows.Scan(&id, &pir); err != nil {
			rows.Close()
			return err
		}
		x := control.FixedProblem{Problem: ident.Problem.Format(id)}
		if pir.Valid {
			x.PIR = ident.PIR.Format(pir.Int64)
		}
		f.Fixed = append(f.Fixed, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT id, closed_at, observation_until FROM problems
		WHERE closed_at >= $1 AND closed_at < $2 ORDER BY id`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x control.Closure
		var id int64
		if err := rows.Scan(&id, timeCol{&x.ClosedAt}, nullTimeCol{&x.ObservationUntil}); err != nil {
			return err
		}
		x.Problem = ident.Problem.Format(id)
		f.Closed = append(f.Closed, x)
	}
	return rows.Err()
}

// controlEvidence reads the rca, test_report and rollback_plan artifacts of
// the releases deployed to production in the period (control retention).
func (s *Store) controlEvidence(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := s.db.QueryContext(ctx, `SELECT ra.release_id, ra.kind, ra.sha256, a.retention_class
		FROM release_artifacts ra JOIN artifacts a ON a.sha256 = ra.sha256
		WHERE ra.kind IN ('rca', 'test_report', 'rollback_plan')
		AND ra.release_id IN (SELECT d.release_id`+prodFrom+startedIn+`)
		ORDER BY ra.release_id, ra.kind, ra.sha256`, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x control.Evidence
		var rel int64
		if err := rows.Scan(&rel, &x.Kind, &x.SHA256, &x.Retention); err != nil {
			return err
		}
		x.Release = ident.Release.Format(rel)
		f.Evidence = append(f.Evidence, x)
	}
	return rows.Err()
}

// controlAudit verifies the audit chain against the latest stored
// checkpoint (its signature is checked by whoever holds the public key:
// fixgate audit verify --checkpoint), or alone when none was signed.
func (s *Store) controlAudit(ctx context.Context) (control.AuditCheck, error) {
	var a control.AuditCheck
	var cp *audit.Checkpoint
	signed, err := s.LatestCheckpoint(ctx)
	switch {
	case err == nil:
		c, perr := audit.ParseSignedCheckpoint(signed)
		if perr != nil {
			a.Broken = "the latest stored checkpoint does not parse: " + perr.Error()
			return a, nil
		}
		if c.Size > 0 { // a checkpoint of the empty trail proves nothing
			cp, a.Checkpoint = &c, c.Size
		}
	case fault.CodeOf(err) != fault.NotFound:
		return a, err
	}
	n, broken, err := s.VerifyAuditCheckpoint(ctx, cp)
	a.Events = n
	if err != nil && !errors.Is(err, context.Canceled) {
		return a, err
	}
	if broken != nil {
		a.Broken = broken.Reason
	}
	return a, err
}

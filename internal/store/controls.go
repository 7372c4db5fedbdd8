package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// ControlFacts reads what the governance controls decide on for period p:
// the period's records (ControlRecords) and a verification of the audit
// chain against the latest stored checkpoint. It writes nothing.
func (s *Store) ControlFacts(ctx context.Context, p control.Period) (control.Facts, error) {
	f, err := s.ControlRecords(ctx, p)
	if err == nil {
		f.Audit, err = s.controlAudit(ctx)
	}
	return f, errf(err, "control facts")
}

// ControlRecords reads the facts of every control but audit_chain:
// bounded, set-based queries over the records of period p (production
// deployments started in it, approvals given in it, problems resolved or
// closed in it), in one read-only transaction (one consistent view; on
// PostgreSQL without JIT, reportSettings).
func (s *Store) ControlRecords(ctx context.Context, p control.Period) (control.Facts, error) {
	f := control.Facts{Deployments: []control.Deployment{}, Fixes: []control.Fix{}, SelfApprovals: []control.SelfApproval{},
		Fixed: []control.FixedProblem{}, Closed: []control.Closure{}, Evidence: []control.Evidence{}}
	from, to := ts(p.From), ts(p.To)
	err := s.read(ctx, func(tx *Tx) error {
		steps := []func() error{
			func() error { return tx.reportSettings(ctx) },
			func() error { return tx.controlDeployments(ctx, from, to, &f) },
			func() error { return tx.controlFixes(ctx, from, to, &f) },
			func() error { return tx.controlApprovals(ctx, from, to, &f) },
			func() error { return tx.controlProblems(ctx, from, to, &f) },
			func() error { return tx.controlEvidence(ctx, from, to, &f) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	return f, errf(err, "control records")
}

// prodFrom reads deployments d to production environments; startedIn
// keeps those started in [$1, $2).
const (
	prodFrom  = ` FROM deployments d JOIN environments en ON en.name = d.env AND en.tier = 'production'`
	startedIn = ` WHERE d.started_at >= $1 AND d.started_at < $2`
)

// controlFixes reads the pairs of a production deployment and a problem
// its release resolves (controlDeployments counts them) whose RCA was not
// validated by the start: the first validation of the RCA not withdrawn by the start
// (problems.rca_validated_at for validations recorded before
// rca_validations existed) is missing or later (control
// rca_before_deploy). The validations are folded per problem first (vv:
// the first never withdrawn), so only the problems with a withdrawn
// validation are looked up per deployment. Times compare as stored: timestamptz on PostgreSQL,
// fixed-width UTC text (tsFormat) on SQLite.
func (tx *Tx) controlFixes(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := tx.query(ctx, `WITH vv AS (SELECT problem_id, MIN(CASE WHEN withdrawn_at IS NULL THEN at END) AS kept,
			MAX(CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END) AS withdrawn FROM rca_validations GROUP BY problem_id)
		SELECT dep, prb, started, validated FROM (SELECT d.id AS dep, rp.problem_id AS prb, d.started_at AS started,
			CASE WHEN vv.withdrawn = 1 THEN COALESCE((SELECT MIN(v.at) FROM rca_validations v WHERE v.problem_id = rp.problem_id
				AND (v.withdrawn_at IS NULL OR v.withdrawn_at > d.started_at)), p.rca_validated_at)
			ELSE COALESCE(vv.kept, p.rca_validated_at) END AS validated`+prodFrom+`
		JOIN release_problems rp ON rp.release_id = d.release_id JOIN problems p ON p.id = rp.problem_id
		LEFT JOIN vv ON vv.problem_id = rp.problem_id`+startedIn+`) x
		WHERE validated IS NULL OR validated > started ORDER BY dep, prb`, from, to)
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
func (tx *Tx) controlApprovals(ctx context.Context, from, to string, f *control.Facts) error {
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM approvals WHERE decision = 'approve' AND at >= $1 AND at < $2`,
		from, to).Scan(&f.Approvals)
	if err != nil {
		return err
	}
	rows, err := tx.query(ctx, `SELECT a.id, a.record_id, a.approver,
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
func (tx *Tx) controlProblems(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := tx.query(ctx, `SELECT p.id, (SELECT MIN(x.id) FROM pirs x WHERE x.problem_id = p.id)
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
	rows, err = tx.query(ctx, `SELECT id, closed_at, observation_until FROM problems
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
func (tx *Tx) controlEvidence(ctx context.Context, from, to string, f *control.Facts) error {
	rows, err := tx.query(ctx, `SELECT ra.release_id, ra.kind, ra.sha256, a.retention_class
		FROM release_artifacts ra JOIN artifacts a ON a.sha256 = ra.sha256
		WHERE ra.kind IN ('rca', 'test_report', 'rollback_plan')
		AND EXISTS (SELECT 1`+prodFrom+startedIn+` AND d.release_id = ra.release_id)
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

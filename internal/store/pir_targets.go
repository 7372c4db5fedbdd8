package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/pir"
	"fixgate/internal/policy"
)

// pirTargets evaluates the success criteria of p's fix (pir.Evaluate) and
// sets p.Targets: the targets of the change model of the change of the
// problem's latest resolving deployment, in the policy in force (the
// latest stored version, else the built-in one), measured over the KPI
// windows w (before and after: the incidents counted there) and the mean
// time to resolve of the after window's resolved incidents. p.Targets is
// nil when that change model states no target. The caller stores and
// audits p: the evaluation is then history, which a later policy does not
// rewrite (the KPI report reads it, pir.Evaluation.Final).
func (tx *Tx) pirTargets(ctx context.Context, p *pir.PIR, prbID int64, w pir.Windows, before, after int64) error {
	p.Targets = nil
	var model string
	err := tx.queryRow(ctx, `SELECT COALESCE(c.change_model, '') FROM problem_resolutions r JOIN deployments d ON d.id = r.deployment_id
		JOIN changes c ON c.id = d.change_id WHERE r.problem_id = $1 ORDER BY r.id DESC LIMIT 1`, prbID).Scan(&model)
	if errors.Is(err, sql.ErrNoRows) {
		model, err = "", nil
	}
	if err != nil {
		return err
	}
	pol, version, err := tx.policyVersionInForce(ctx)
	if err != nil {
		return err
	}
	t := pol.ChangeModels[model].Targets
	if !t.Any() {
		return nil
	}
	m := pir.Measured{Windows: w, Before: before, After: after}
	from, to := w.After()
	var n, sum int64
	err = tx.queryRow(ctx, tx.kpiSQL(`SELECT COUNT(*), COALESCE(SUM(secs(opened_at, resolved_at)), 0) FROM incidents
		WHERE problem_id = $1 AND opened_at >= $2 AND opened_at < $3 AND resolved_at IS NOT NULL`), prbID, ts(from), ts(to)).Scan(&n, &sum)
	if err != nil {
		return err
	}
	if n > 0 {
		d := time.Duration(sum/n) * time.Second
		m.MTTRAfter = &d
	}
	p.Targets = &pir.Evaluation{ChangeModel: model, PolicyVersion: version, EvaluatedAt: tx.now, Results: pir.Evaluate(t, m, tx.now)}
	return nil
}

// policyVersionInForce is policyInForce with its stored version (0 for the
// built-in policy).
func (tx *Tx) policyVersionInForce(ctx context.Context) (*policy.Policy, int64, error) {
	var text string
	var version int64
	err := tx.queryRow(ctx, `SELECT version, yaml FROM policies ORDER BY version DESC LIMIT 1`).Scan(&version, &text)
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Default(), 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	pol, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, 0, fault.Wrap(err, "the stored policy does not parse")
	}
	return pol, version, nil
}

// targetsText is the stored form of an evaluation (empty for none).
func targetsText(e *pir.Evaluation) string {
	if e == nil {
		return ""
	}
	return jsonText(e)
}

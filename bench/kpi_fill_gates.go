package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"fixgate/internal/gate"
	"fixgate/internal/store"
)

// kpiGateHistory writes the gate evaluation each deployment of the
// dataset went through (set directly, as the rest of its history): its
// release for its environment, a minute before its start, allowed with
// the approvals rule passed, but one in 100 (deployment ids divisible by
// 100) blocked — a deployment a person started past the gate, an
// exception of the controls gate_and_change and approvals_by_risk. The
// verdicts are stored once each by digest (gate_verdicts), as the gate
// stores identical verdicts. Without this step every production
// deployment of the dataset was an exception, which fixgate's own
// deployments never are (session 9).
func kpiGateHistory(ctx context.Context, st *store.Store, n kpiSizes, t kpiTimes) error {
	for _, d := range []string{gate.Allowed, gate.Blocked} {
		v, err := json.Marshal(kpiVerdict(d, t.start))
		if err != nil {
			return err
		}
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO gate_verdicts (digest, verdict, created_at) VALUES ($1, $2, $3)`,
			"bench-"+d, string(v), bts(t.start)); err != nil {
			return err
		}
	}
	deps, err := kpiDeploymentTargets(ctx, st, n)
	if err != nil {
		return err
	}
	if len(deps) != n.deployments {
		return fmt.Errorf("%d deployments, want %d", len(deps), n.deployments)
	}
	return batches(ctx, st, n.deployments, `INSERT INTO gate_evaluations (id, release_id, env, at, decision, risk_class, verdict,
		input_revisions, policy_version, policy_hash, created_by, created_at, input_digest, verdict_digest, evaluated_at)
		VALUES ($1, $2, $3, $4, $5, 'standard', '', '{}', 1, 'bench', 'ci-bot', $4, '', $6, $4)`, func(i int) []any {
		k := i + 1
		d := gate.Allowed
		if k%100 == 0 {
			d = gate.Blocked
		}
		at := bts(t.depStart(k).Add(-time.Minute))
		return []any{k, deps[i].release, deps[i].env, at, d, "bench-" + d}
	})
}

// kpiVerdict is the stored verdict of a dataset's gate evaluation with
// decision d: every rule the controls read passed, or failed when blocked.
func kpiVerdict(d string, at time.Time) gate.Verdict {
	res := gate.Pass
	if d == gate.Blocked {
		res = gate.Fail
	}
	return gate.Verdict{Decision: d, RiskClass: "standard", PolicyVersion: 1, PolicyHash: "bench", At: at, EvaluatedAt: at,
		Rules: []gate.Result{{Rule: gate.RuleApprovals, Result: res, Reason: "two approvals", Records: []string{}}}}
}

// kpiDeployment is a deployment's release and environment.
type kpiDeployment struct {
	release int64
	env     string
}

// kpiDeploymentTargets reads every deployment's release and environment in
// id order (CreateDeployment's callers run in parallel: ids do not follow
// the releases).
func kpiDeploymentTargets(ctx context.Context, st *store.Store, n kpiSizes) ([]kpiDeployment, error) {
	rows, err := st.DB().QueryContext(ctx, `SELECT release_id, env FROM deployments ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]kpiDeployment, 0, n.deployments)
	for rows.Next() {
		var d kpiDeployment
		if err := rows.Scan(&d.release, &d.env); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

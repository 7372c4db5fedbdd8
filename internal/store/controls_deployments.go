package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"

	"fixgate/internal/control"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// controlDeploymentRows reads each production deployment started in the
// period [$1, $2) with its change, the newest gate evaluation of its
// release for its environment recorded at or before its start, that
// evaluation's verdict digest (legacy: the verdict itself, for an
// evaluation from before gate_verdicts), the number of problems its release
// resolves (release_problems references problems, so each row is one), and
// cand: whether it may break a control whatever its verdict says
// (control.MayBreak but for approvals: no gate evaluation or one that did
// not allow it, no change or one whose status is not among
// control.Authorised ({authorised}: $3 on, authorisedSQL), recorded
// deviations, or no stored verdict).
const controlDeploymentRows = `SELECT d.id AS id, d.release_id AS release_id, d.env AS env, d.change_id AS change_id,
		COALESCE(c.status, '') AS cstatus, NULLIF(c.deviations, '[]') AS dev, ge.id AS gid, COALESCE(ge.decision, '') AS decision,
		gv.digest AS digest, CASE WHEN gv.digest IS NULL THEN COALESCE(ge.verdict, '') END AS legacy,
		(SELECT COUNT(*) FROM release_problems rp WHERE rp.release_id = d.release_id) AS fixes,
		CASE WHEN ge.id IS NULL OR ge.decision <> 'allowed' OR d.change_id IS NULL OR c.status NOT IN ({authorised})
			OR NULLIF(c.deviations, '[]') IS NOT NULL OR gv.digest IS NULL THEN 1 ELSE 0 END AS cand` + prodFrom + `
	LEFT JOIN changes c ON c.id = d.change_id
	LEFT JOIN gate_evaluations ge ON ge.id = (SELECT MAX(g.id) FROM gate_evaluations g
		WHERE g.release_id = d.release_id AND g.env = d.env AND g.created_at <= d.started_at)
	LEFT JOIN gate_verdicts gv ON gv.digest = ge.verdict_digest` + startedIn

// controlDeploymentsSQL gives one row per candidate (cand: key its id) and
// one per verdict digest for the others (key 0), with the count of the
// deployments of the row, of those with a gate evaluation, and of the
// problems their releases resolve: the period's deployments are counted in
// SQL, and only those that may break a control are read (one sort of the
// period's rows; 100k deployments were 100k rows to decode before).
const controlDeploymentsSQL = `SELECT CASE WHEN x.cand = 1 THEN x.id ELSE 0 END, MIN(x.release_id), MIN(x.env), MIN(x.change_id),
	MIN(x.cstatus), MIN(x.dev), MIN(x.gid), MIN(x.decision), x.digest, MIN(x.legacy), CAST(SUM(x.fixes) AS BIGINT), COUNT(*),
	CAST(SUM(CASE WHEN x.gid IS NULL THEN 0 ELSE 1 END) AS BIGINT)
	FROM (` + controlDeploymentRows + `) x GROUP BY CASE WHEN x.cand = 1 THEN x.id ELSE 0 END, x.digest`

// controlDeployments counts the period's production deployments
// (DeploymentCount, GatedCount and rca_before_deploy's FixCount) and lists
// those that may break gate_and_change, approvals_by_risk or
// deviations_approved (control.MayBreak), in id order: the candidates
// controlDeploymentsSQL returns, and those under a stored verdict whose
// approvals are not pass (read again by digest, controlDeploymentsOf).
// Each stored verdict is read and decoded once (approvalsByDigest), each
// change's deviations once.
func (tx *Tx) controlDeployments(ctx context.Context, from, to string, f *control.Facts) error {
	args := []any{from, to}
	for _, s := range control.Authorised {
		args = append(args, s)
	}
	var digests []string // of the rows
	rows, err := tx.controlDeploymentScan(ctx, authorisedSQL(controlDeploymentsSQL), args, func(r controlRow) {
		f.FixCount, f.DeploymentCount, f.GatedCount = f.FixCount+int(r.fixes), f.DeploymentCount+int(r.count), f.GatedCount+int(r.gated)
		if r.digest.Valid {
			digests = append(digests, r.digest.String)
		}
	})
	if err != nil {
		return err
	}
	slices.Sort(digests)
	results, err := tx.approvalsByDigest(ctx, slices.Compact(digests))
	if err != nil {
		return err
	}
	var again []string // digests of left-out deployments whose approvals are not pass
	var list []controlRow
	for _, r := range rows {
		if r.id == 0 {
			if results[r.digest.String] != "pass" {
				again = append(again, r.digest.String)
			}
			continue
		}
		list = append(list, r)
	}
	if len(again) > 0 {
		more, err := tx.controlDeploymentsOf(ctx, args, again)
		if err != nil {
			return err
		}
		list = append(list, more...)
	}
	return fillDeployments(f, list, results)
}

// controlDeploymentsOf lists, one row each, the deployments
// controlDeploymentsSQL counted under the verdict digests (none of them a
// candidate).
func (tx *Tx) controlDeploymentsOf(ctx context.Context, args []any, digests []string) ([]controlRow, error) {
	a := append([]any{}, args...)
	for _, d := range digests {
		a = append(a, d)
	}
	q := `SELECT x.id, x.release_id, x.env, x.change_id, x.cstatus, x.dev, x.gid, x.decision, x.digest, x.legacy, x.fixes, 1,
		CASE WHEN x.gid IS NULL THEN 0 ELSE 1 END FROM (` + controlDeploymentRows + `) x
		WHERE x.cand = 0 AND x.digest IN (` + placeholders(len(args)+1, len(digests)) + `)`
	return tx.controlDeploymentScan(ctx, authorisedSQL(q), a, nil)
}

// authorisedSQL puts the placeholders of control.Authorised ($3 on) in
// place of {authorised} in q.
func authorisedSQL(q string) string {
	return strings.Replace(q, "{authorised}", placeholders(3, len(control.Authorised)), 1)
}

// controlRow is a row of controlDeploymentsSQL (or of
// controlDeploymentsOf): a deployment (id > 0) or the deployments of one
// verdict digest (id 0).
type controlRow struct {
	id, release            int64
	env, cstatus, decision string
	change, gid            sql.NullInt64
	dev, digest, legacy    sql.NullString
	fixes, count, gated    int64
}

// controlDeploymentScan reads q's rows, calling each (when not nil) on each.
func (tx *Tx) controlDeploymentScan(ctx context.Context, q string, args []any, each func(controlRow)) ([]controlRow, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []controlRow
	for rows.Next() {
		var r controlRow
		var rel sql.NullInt64
		var env, cst, dec sql.NullString
		if err := rows.Scan(&r.id, &rel, &env, &r.change, &cst, &r.dev, &r.gid, &dec, &r.digest, &r.legacy, &r.fixes, &r.count,
			&r.gated); err != nil {
			return nil, err
		}
		r.release, r.env, r.cstatus, r.decision = rel.Int64, env.String, cst.String, dec.String
		if each != nil {
			each(r)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// fillDeployments sets f.Deployments from the deployments' rows, in id
// order, with the approvals of their verdicts (results by digest).
func fillDeployments(f *control.Facts, list []controlRow, results map[string]string) error {
	slices.SortFunc(list, func(a, b controlRow) int { return cmp.Compare(a.id, b.id) })
	devs := map[int64][]control.Deviation{}
	for _, r := range list {
		d := control.Deployment{ID: ident.Deployment.Format(r.id), Release: ident.Release.Format(r.release), Env: r.env,
			ChangeStatus: r.cstatus, GateDecision: r.decision, Deviations: noDeviations}
		var err error
		if r.change.Valid {
			d.Change = ident.Change.Format(r.change.Int64)
			if d.Deviations, err = changeDeviations(devs, r.change.Int64, r.dev); err != nil {
				return err
			}
		}
		if r.gid.Valid {
			d.Gate = ident.Gate.Format(r.gid.Int64)
			if r.legacy.Valid {
				if d.Approvals, err = approvalsResult(r.legacy.String); err != nil {
					return err
				}
			} else {
				d.Approvals = results[r.digest.String]
			}
		}
		f.Deployments = append(f.Deployments, d)
	}
	return nil
}

// noDeviations is the deviations of a deployment without a change or whose
// change recorded none (shared: the controls only read it).
var noDeviations = []control.Deviation{}

// changeDeviations decodes the deviations of change id once (dev NULL: none).
func changeDeviations(seen map[int64][]control.Deviation, id int64, dev sql.NullString) ([]control.Deviation, error) {
	if !dev.Valid {
		return noDeviations, nil
	}
	if v, ok := seen[id]; ok {
		return v, nil
	}
	var v []control.Deviation
	if err := (jsonCol{&v}).Scan(dev.String); err != nil {
		return nil, err
	}
	if v == nil {
		v = noDeviations
	}
	seen[id] = v
	return v, nil
}

// approvalsResult returns the worst result of rule approvals in a stored
// verdict (gate.Verdict.RuleResult), decoding only its rule lines.
func approvalsResult(verdict string) (string, error) {
	var v struct {
		Rules []struct {
			Rule   string `json:"rule"`
			Result string `json:"result"`
		} `json:"rules"`
	}
	if err := (jsonCol{&v}).Scan(verdict); err != nil {
		return "", err
	}
	var g gate.Verdict
	for _, r := range v.Rules {
		if r.Rule == gate.RuleApprovals {
			g.Rules = append(g.Rules, gate.Result{Rule: r.Rule, Result: r.Result})
		}
	}
	return g.RuleResult(gate.RuleApprovals), nil
}

// verdictBatch is how many verdict digests one query of
// approvalsByDigest names.
const verdictBatch = 500

// approvalsByDigest returns the approvals result (approvalsResult) of each
// stored verdict named in digests (gate_verdicts), each read and decoded
// once however many evaluations share it: a production deployment's gate
// evaluation names its verdict by digest, and a polled gate repeats the
// same verdict (about 2 kB) for every call within a minute.
func (tx *Tx) approvalsByDigest(ctx context.Context, digests []string) (map[string]string, error) {
	out := make(map[string]string, len(digests))
	for len(digests) > 0 {
		n := min(len(digests), verdictBatch)
		args := make([]any, n)
		for i, d := range digests[:n] {
			args[i] = d
		}
		digests = digests[n:]
		rows, err := tx.query(ctx, `SELECT digest, verdict FROM gate_verdicts WHERE digest IN (`+placeholders(1, n)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var digest, verdict string
			if err := rows.Scan(&digest, &verdict); err != nil {
				rows.Close()
				return nil, err
			}
			if out[digest], err = approvalsResult(verdict); err != nil {
				rows.Close()
				return nil, err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

package store

import (
	"context"
	"slices"

	"fixgate/internal/gate"
)

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

// setApprovals sets the approvals result of each deployment added to c
// whose verdict is stored by digest (digests[i] for the i-th added, ""
// for none), reading each distinct verdict once (seen: the digests, true
// for those stored).
func (c chunks) setApprovals(ctx context.Context, tx *Tx, digests []string, seen map[string]bool) error {
	var distinct []string
	for d, stored := range seen {
		if stored {
			distinct = append(distinct, d)
		}
	}
	slices.Sort(distinct)
	results, err := tx.approvalsByDigest(ctx, distinct)
	if err != nil {
		return err
	}
	i := 0
	for _, b := range c {
		for j := range b {
			if d := digests[i]; d != "" && seen[d] {
				b[j].Approvals = results[d]
			}
			i++
		}
	}
	return nil
}

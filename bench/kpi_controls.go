package main

import (
	"context"
	"fmt"
	"time"

	"fixgate/internal/control"
	"fixgate/internal/store"
)

// kpiRawGate is the single raw SQL aggregate of the control assessment's
// main number, control gate_and_change: production deployments of the
// period, and those without an allowed gate evaluation at their start or
// without a change that reached scheduled.
const kpiRawGate = `SELECT COUNT(*), COALESCE(SUM(CASE WHEN ge.decision IS NULL OR ge.decision <> 'allowed' OR c.id IS NULL
		OR c.status IN ('draft', 'assess', 'authorize', 'canceled') THEN 1 ELSE 0 END), 0)
	FROM deployments d JOIN environments en ON en.name = d.env AND en.tier = 'production'
	LEFT JOIN changes c ON c.id = d.change_id
	LEFT JOIN gate_evaluations ge ON ge.id = (SELECT MAX(g.id) FROM gate_evaluations g
		WHERE g.release_id = d.release_id AND g.env = d.env AND g.created_at <= d.started_at)
	WHERE d.started_at >= $1 AND d.started_at < $2`

// kpiControls times store.ControlFacts over the period against
// kpiRawGate, and the audit chain verification it includes alone.
func kpiControls(ctx context.Context, st *store.Store, now time.Time) error {
	p := control.Period{Name: "bench", From: now.Add(-kpiPeriod), To: now.Add(time.Second)}
	var f control.Facts
	var gate [2]int64
	facts := func() (err error) { f, err = st.ControlFacts(ctx, p); return err }
	rawGate := func() error {
		return st.DB().QueryRowContext(ctx, kpiRawGate, ts(p.From), ts(p.To)).Scan(&gate[0], &gate[1])
	}
	fp, gp, err := kpiCompareCPU(ctx, st, "control facts (store.ControlFacts)", "raw gate_and_change aggregate", facts, rawGate)
	if err != nil {
		return err
	}
	verify := func() error { _, _, err := st.VerifyAuditCheckpoint(ctx, nil); return err }
	vt, err := medianOf3(verify)
	if err != nil {
		return err
	}
	rest := fp - vt
	fmt.Printf("  of which the audit chain verification (%d events, not set-based) p50 %s; the set-based rest ~%s, %.2f × the raw aggregate\n",
		f.Audit.Events, vt.Round(time.Millisecond), rest.Round(time.Millisecond), float64(rest)/float64(gp))
	res := control.Assess(f)
	fmt.Printf("  gate_and_change: sample %d, exceptions %d (raw: %v); load average %s\n", res[0].Sample, len(res[0].Exceptions), gate, loadAvg())
	return nil
}

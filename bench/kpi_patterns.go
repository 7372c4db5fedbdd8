package main

import (
	"context"
	"fmt"
	"time"

	kpireport "fixgate/internal/report"
	"fixgate/internal/store"
)

// kpiRawPatterns is the single raw SQL aggregate of the patterns report's
// main number: the problem-fix deployments started in the period (but
// aborted ones) and the failed ones among them (rolled back or rolling
// back, failed, or with an incident attributed within their watch window),
// grouped by one dimension, the environment.
const kpiRawPatterns = `SELECT d.env, COUNT(*), SUM(CASE WHEN d.status IN ('rolling_back', 'rolled_back', 'failed') OR EXISTS (
		SELECT 1 FROM incidents i WHERE i.deployment_id = d.id AND i.opened_at >= d.started_at
		AND i.opened_at <= COALESCE(d.watch_until, d.finished_at, $2)) THEN 1 ELSE 0 END)
	FROM deployments d JOIN releases r ON r.id = d.release_id
	WHERE r.type = 'problem-fix' AND d.started_at >= $1 AND d.started_at <= $2 AND d.status <> 'aborted' GROUP BY d.env ORDER BY d.env`

// kpiPatternPeriods are the periods the patterns report is timed over:
// the whole history, and the report's default (fixgate report patterns).
var kpiPatternPeriods = []time.Duration{kpiPeriod, 90 * 24 * time.Hour}

// kpiPatterns times store.PatternsReport (every dimension, bin and
// recommendation, with the failed deployments behind each number)
// against kpiRawPatterns over each period, alternating, with the CPU of
// each run (the process, plus on PostgreSQL the database's backends), and
// checks that both count the same failed and total problem-fix
// deployments.
func kpiPatterns(ctx context.Context, st *store.Store) error {
	for _, period := range kpiPatternPeriods {
		now := st.Now()
		var p kpireport.Patterns
		var raw [2]int64
		ours := func() (err error) { p, err = st.PatternsReport(ctx, period, "", ""); return err }
		base := func() (err error) { raw, err = scanRawPatterns(ctx, st, ts(now.Add(-period)), ts(now)); return err }
		d := int(period / (24 * time.Hour))
		if _, _, err := kpiCompareCPU(ctx, st, fmt.Sprintf("patterns report (store.PatternsReport, %dd)", d),
			"raw failed problem fixes by environment", ours, base); err != nil {
			return err
		}
		listed := 0
		for _, dim := range p.Failures {
			for _, b := range dim.Buckets {
				listed += len(b.Deployments)
			}
		}
		fmt.Printf("  problem fixes failed %d of %d (raw: %d of %d); %d failed deployment ids listed in the buckets; load average %s\n",
			p.ProblemFix.Failed, p.ProblemFix.Total, raw[1], raw[0], listed, loadAvg())
		if p.ProblemFix.Total != raw[0] || p.ProblemFix.Failed != raw[1] {
			return fmt.Errorf("patterns report and raw aggregate disagree over %dd", d)
		}
		if err := kpiPatternsParts(ctx, st, period); err != nil {
			return err
		}
	}
	return nil
}

// kpiPatternsParts times the two halves of the report alone (p50 of 3):
// the facts (store.PatternsFacts: the query and its rows) and the
// decisions over them (report.BuildPatterns). With
// FIXGATE_BENCH_CPUPROFILE=F the facts' runs are profiled into F.
func kpiPatternsParts(ctx context.Context, st *store.Store, period time.Duration) error {
	var f kpireport.Filter
	var x kpireport.PatternFacts
	stop := startProfile(true)
	ft, err := medianOf3(func() (err error) { f, x, err = st.PatternsFacts(ctx, period, "", ""); return err })
	stop()
	if err != nil {
		return err
	}
	bt, _ := medianOf3(func() error { kpireport.BuildPatterns(f, x, kpireport.DefaultEvidence); return nil })
	fmt.Printf("  of which the facts (store.PatternsFacts: %d groups, %d deployment keys) p50 %s, the decisions (report.BuildPatterns) p50 %s\n",
		len(x.Groups), len(x.Deployments), ft.Round(time.Millisecond), bt.Round(time.Millisecond))
	return nil
}

// scanRawPatterns runs kpiRawPatterns and sums its environments: total
// and failed.
func scanRawPatterns(ctx context.Context, st *store.Store, from, to string) ([2]int64, error) {
	var out [2]int64
	rows, err := st.DB().QueryContext(ctx, kpiRawPatterns, from, to)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var env string
		var n, failed int64
		if err := rows.Scan(&env, &n, &failed); err != nil {
			return out, err
		}
		out[0], out[1] = out[0]+n, out[1]+failed
	}
	return out, rows.Err()
}

// kpiCompareCPU times ours and raw alternately kpiRuns times (after one
// unmeasured run each), with the CPU each run used (the process, plus on
// PostgreSQL the backends of the store's database, from /proc in 10 ms
// ticks), read outside the timed part: it prints both p50s, the CPU per
// run and both ratios, and returns the p50s.
func kpiCompareCPU(ctx context.Context, st *store.Store, what, baseName string, ours, raw func() error) (time.Duration, time.Duration, error) {
	var rt, bt []time.Duration
	var rc, bc time.Duration
	cpu := func() time.Duration { return selfCPU() + pagesBackendCPU(ctx, st) }
	for i := 0; i <= kpiRuns; i++ {
		for _, x := range []struct {
			fn  func() error
			out *[]time.Duration
			cpu *time.Duration
		}{{raw, &bt, &bc}, {ours, &rt, &rc}} {
			c0 := cpu()
			t0 := time.Now()
			if err := x.fn(); err != nil {
				return 0, 0, err
			}
			el := time.Since(t0)
			if i > 0 {
				*x.out = append(*x.out, el)
				*x.cpu += cpu() - c0
			}
		}
	}
	r, b := median(rt), median(bt)
	ratio := float64(r) / float64(b)
	rcpu, bcpu := rc/kpiRuns, bc/kpiRuns
	fmt.Printf("  %-40s p50 %-10s max %-10s CPU/run %-10s | %s p50 %-10s CPU/run %-10s | ratio %.2f (CPU %.2f), goal <= %.0f: %s\n",
		what, r.Round(time.Millisecond), slicesMax(rt).Round(time.Millisecond), rcpu.Round(time.Millisecond), baseName,
		b.Round(time.Millisecond), bcpu.Round(time.Millisecond), ratio, float64(rcpu)/float64(max(bcpu, 1)), kpiGoal,
		verdict(ratio <= kpiGoal))
	return r, b, nil
}

package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	kpireport "fixgate/internal/report"
	"fixgate/internal/store"
)

// kpiRuns is how many times each report and its raw aggregate run,
// alternating (after one unmeasured run of each).
const kpiRuns = 7

// kpiPeriod is the period the KPI report covers: the whole history.
const kpiPeriod = 365 * 24 * time.Hour

// kpiGoal: a report within 2× its raw aggregate.
const kpiGoal = 2.0

// kpiRawCFR is the single raw SQL aggregate of the KPI report's main
// number, the change failure rate by release type: deployments started in
// the period but aborted ones, failed when rolled back (or rolling back),
// failed, or with an incident attributed within their watch window.
const kpiRawCFR = `SELECT r.type, COUNT(*), SUM(CASE WHEN d.status IN ('rolling_back', 'rolled_back', 'failed') OR EXISTS (
		SELECT 1 FROM incidents i WHERE i.deployment_id = d.id AND i.opened_at >= d.started_at
		AND i.opened_at <= COALESCE(d.watch_until, d.finished_at, $2)) THEN 1 ELSE 0 END)
	FROM deployments d JOIN releases r ON r.id = d.release_id
	WHERE d.started_at >= $1 AND d.started_at <= $2 AND d.status <> 'aborted' GROUP BY r.type ORDER BY r.type`

// kpiRawMTTR is the plainest aggregate over the report's largest sample,
// the incidents of the period: how many were resolved and their total
// time to resolve (no percentile), from the generated column
// incidents.resolve_seconds (migration 00037) as the report reads it.
// With kpiRawCFR it is the floor of any report that has both figures. On
// SQLite it names the index that holds the column (INDEXED BY: its
// planner does not count it as covering, and reads the table per row
// through another).
func kpiRawMTTR(d store.Dialect) string {
	by := ""
	if d == store.SQLite {
		by = " INDEXED BY incidents_opened_mttr"
	}
	return `SELECT COUNT(*), COALESCE(SUM(resolve_seconds), 0) FROM incidents` + by + `
		WHERE opened_at >= $1 AND opened_at <= $2 AND resolve_seconds IS NOT NULL`
}

// benchKPI fills 1M incidents and 100k deployments (× -scale, kpiFill)
// and times, alternating, each report and the single raw SQL aggregate of
// its main number: the KPI report (store.KPIReport over the whole history)
// against kpiRawCFR; the control assessment's facts (store.ControlFacts,
// what AssessControls reads before it stores ASSESS-n) against kpiRawGate,
// with the audit chain verification it includes timed alone (that control
// reads the whole trail: it is not set-based); and the patterns report
// against its own (kpiPatterns). FIXGATE_BENCH_KEEP=1 keeps the database
// and prints its DSN; FIXGATE_BENCH_KPI_DSN=DSN measures such a kept
// database again without filling it; FIXGATE_BENCH_KPI_ONLY=kpi, floor,
// controls or patterns times only that part. After the KPI report and
// after the controls it prints their floor (kpi_floor.go): the raw
// aggregates of all their figures together, and the report against it.
func benchKPI(ctx context.Context, c config) error {
	st, done, err := kpiStore(ctx, c)
	if err != nil {
		return err
	}
	defer done()
	switch os.Getenv("FIXGATE_BENCH_KPI_ONLY") {
	case "patterns":
		return kpiPatterns(ctx, st)
	case "controls":
		return kpiControls(ctx, st, st.Now())
	case "kpi":
		return kpiMain(ctx, st)
	case "floor":
		if err := kpiFloor(ctx, st); err != nil {
			return err
		}
		return controlFloor(ctx, st)
	}
	for _, step := range []func(context.Context, *store.Store) error{kpiMain, kpiFloor, kpiControlsNow, controlFloor, kpiPatterns} {
		if err := step(ctx, st); err != nil {
			return err
		}
	}
	return nil
}

// kpiControlsNow is kpiControls up to the store's clock.
func kpiControlsNow(ctx context.Context, st *store.Store) error {
	return kpiControls(ctx, st, st.Now())
}

// kpiMain times the KPI report against the raw aggregate of its main
// number (kpiRawCFR), then against the raw aggregates of its two largest
// samples together (kpiRawCFR + kpiRawMTTR), and checks that the change
// failure rates agree.
func kpiMain(ctx context.Context, st *store.Store) error {
	now := st.Now()
	from := ts(now.Add(-kpiPeriod))
	var k kpireport.KPI
	var raw [3][3]int64
	kpiReport := func() (err error) { k, err = st.KPIReport(ctx, kpiPeriod, "", "", nil); return err }
	rawCFR := func() error { return scanCFR(ctx, st, from, ts(now), &raw) }
	if _, _, err := kpiCompareCPU(ctx, st, "KPI report (store.KPIReport, 365d)", "raw change failure rate aggregate", kpiReport, rawCFR); err != nil {
		return err
	}
	var mttr [2]int64
	floor := func() error {
		if err := rawCFR(); err != nil {
			return err
		}
		return st.DB().QueryRowContext(ctx, kpiRawMTTR(st.Dialect()), from, ts(now)).Scan(&mttr[0], &mttr[1])
	}
	if _, _, err := kpiCompareCPU(ctx, st, "KPI report (the same)", "raw CFR + raw MTTR scan", kpiReport, floor); err != nil {
		return err
	}
	cfr := k.ChangeFailureRate
	fmt.Printf("  change failure rate: problem fixes %d/%d, features %d/%d, mixed %d/%d (raw: %v)\n", cfr.ProblemFix.Failed,
		cfr.ProblemFix.Total, cfr.Feature.Failed, cfr.Feature.Total, cfr.Mixed.Failed, cfr.Mixed.Total, raw)
	if cfr.ProblemFix.Total != raw[2][1] || cfr.ProblemFix.Failed != raw[2][2] || cfr.Feature.Total != raw[0][1] ||
		cfr.Feature.Failed != raw[0][2] {
		return fmt.Errorf("KPI report and raw change failure rate disagree")
	}
	return nil
}

// kpiStore opens the kept database FIXGATE_BENCH_KPI_DSN names, or a new
// one filled with the dataset at -scale (kpiFill; on PostgreSQL then
// VACUUM ANALYZE, as autovacuum would after the bulk fill), kept with
// FIXGATE_BENCH_KEEP=1 (its DSN printed). A filled database is measured
// through a store opened after the filling one is closed, as a restarted
// server reads it: on SQLite the store that wrote the million incidents
// read the raw aggregates 2 – 3 × slower than any store opened afterwards
// (bench/README.md, session 10), so that ratios depended on the process.
func kpiStore(ctx context.Context, c config) (*store.Store, func(), error) {
	if dsn := os.Getenv("FIXGATE_BENCH_KPI_DSN"); dsn != "" {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			return nil, nil, err
		}
		fmt.Printf("\n[kpi] kept database %s on %s; load average %s\n", dsn, dbLabel(c.db), loadAvg())
		return st, func() { st.Close() }, nil
	}
	n := kpiSizesAt(c.scale)
	fmt.Printf("\n[kpi] %d incidents, %d deployments, %d problems, %d releases on %s\n", n.incidents, n.deployments, n.problems,
		n.releases, dbLabel(c.db))
	dsn, cleanup, err := freshDSN(c.db)
	if err != nil {
		return nil, nil, err
	}
	if os.Getenv("FIXGATE_BENCH_KEEP") == "1" {
		cleanup = func() {}
		fmt.Println("  kept database:", dsn)
	}
	t0 := time.Now()
	if err := kpiFilled(ctx, dsn, n); err != nil {
		cleanup()
		return nil, nil, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	fmt.Printf("  filled in %s, reopened; load average %s\n", time.Since(t0).Round(time.Second), loadAvg())
	return st, func() { st.Close(); cleanup() }, nil
}

// kpiFilled fills the database dsn names through a store it closes after.
func kpiFilled(ctx context.Context, dsn string, n kpiSizes) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := kpiFill(ctx, st, n); err != nil {
		return err
	}
	if st.Dialect() == store.Postgres {
		_, err = st.DB().ExecContext(ctx, "VACUUM ANALYZE")
	}
	return err
}

// medianOf3 runs fn three times and returns the median time.
func medianOf3(fn func() error) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	return median(ds), nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func slicesMax(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

func ts(t time.Time) string { return bts(t) }

// scanCFR runs kpiRawCFR into out: per type (feature, mixed, problem-fix)
// total and failed.
func scanCFR(ctx context.Context, st *store.Store, from, to string, out *[3][3]int64) error {
	rows, err := st.DB().QueryContext(ctx, kpiRawCFR, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() && i < 3 {
		var typ string
		if err := rows.Scan(&typ, &out[i][1], &out[i][2]); err != nil {
			return err
		}
		i++
	}
	return rows.Err()
}

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/control"
	"fixgate/internal/store"
)

// kpiFloorQueries are the plainest raw SQL aggregates of the figures the
// KPI report must give (issue 14), read from the records of the history
// as the report reads them, with no percentile, no list and no trend:
// counts and sums only. Figures that one pass can give share a query: the
// change failure rate's pass also gives recovery time and time to detect
// (their sums cost nearly nothing more), and one grouping of the period's
// incidents by problem gives the incidents' time to resolve and which
// problems recur. What stays apart needs another table or another
// grouping. A step that may be read two ways is read the cheaper way
// (after closure: per closed problem, as the report does). Their total is
// a floor for any report that computes every figure from the history when
// it is asked: a report cannot read less than these together, unless one
// pass groups rows two ways, which SQL does by sorting or hashing twice.
// secs(a, b) is the dialect's whole seconds from a to b.
var kpiFloorQueries = []floorQuery{
	{"change failure rate (kpiRawCFR)", []string{kpiRawCFR}},
	{"incidents: time to resolve, by problem", []string{kpiFloorIncidents,
		`SELECT COUNT(*), COALESCE(SUM(resolve_seconds), 0) FROM incidents i {mttr}
		WHERE i.opened_at >= $1 AND i.opened_at <= $2 AND i.resolve_seconds IS NOT NULL;
		SELECT COUNT(*), COALESCE(SUM(x.n), 0) FROM (SELECT i.problem_id AS problem_id, COUNT(*) AS n FROM incidents i
		WHERE i.opened_at >= $1 AND i.opened_at <= $2 AND i.problem_id IS NOT NULL GROUP BY i.problem_id) x`}},
	{"team deployments", []string{`SELECT c.owner, COUNT(DISTINCT d.id) FROM deployments d
		JOIN release_components rc ON rc.release_id = d.release_id JOIN component_versions cv ON cv.id = rc.component_version_id
		JOIN cis c ON c.name = cv.ci WHERE d.started_at >= $1 AND d.started_at <= $2 GROUP BY c.owner`,
		`SELECT o.owner, SUM(x.n) FROM (SELECT d.release_id AS release_id, COUNT(*) AS n FROM deployments d
		WHERE d.started_at >= $1 AND d.started_at <= $2 GROUP BY d.release_id) x
		JOIN (SELECT DISTINCT rc.release_id AS release_id, c.owner AS owner FROM release_components rc
		JOIN component_versions cv ON cv.id = rc.component_version_id JOIN cis c ON c.name = cv.ci) o ON o.release_id = x.release_id
		GROUP BY o.owner`}},
	{"problem flow (opened to RCA validated)", []string{`SELECT COUNT(*), COALESCE(SUM(secs(p.created_at, v.at)), 0)
		FROM rca_validations v JOIN problems p ON p.id = v.problem_id WHERE v.at >= $1 AND v.at <= $2`}},
	{"recurrence per root cause category", []string{`SELECT p.category, COUNT(*), SUM(p.recurrence_count) FROM problems p
		WHERE EXISTS (SELECT 1 FROM problem_resolutions r WHERE r.problem_id = p.id AND r.at >= $1 AND r.at <= $2)
		GROUP BY p.category`}},
	{"recurrences after closure", []string{`SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM incidents i
		WHERE i.problem_id = p.id AND i.opened_at > p.closed_at AND i.opened_at <= $2)), 0) FROM problems p
		WHERE p.closed_at >= $1 AND p.closed_at <= $2`}},
	{"success criteria (incidents after fixes)", []string{`SELECT COUNT(*) FROM problems p JOIN incidents i ON i.problem_id = p.id
		AND i.opened_at >= p.resolved_at AND i.opened_at < p.observation_until
		WHERE p.resolved_at >= $1 AND p.resolved_at <= $2 AND p.observation_until > p.resolved_at`}},
}

// floorQuery is one figure's raw aggregate: its name and the ways to read
// it (the fastest counts; a way may be several statements, split by ";").
type floorQuery struct {
	name string
	qs   []string
}

// controlFloorQueries are the plainest raw aggregates of the controls
// store.ControlRecords gives facts for (all but audit_chain, judged
// against its own read floor), as kpiFloorQueries are the KPI report's:
// kpiRawGate's pass also reads each deployment's change and gate
// evaluation, which approvals_by_risk and deviations_approved decide on,
// so they share it. The period is [$1, $2).
var controlFloorQueries = []floorQuery{
	{"gate_and_change (kpiRawGate)", []string{kpiRawGate}},
	{"rca_before_deploy", []string{`SELECT COUNT(*), COALESCE(SUM(CASE WHEN v.at IS NULL OR v.at > d.started_at THEN 1 ELSE 0 END), 0)
		FROM deployments d JOIN environments en ON en.name = d.env AND en.tier = 'production'
		JOIN release_problems rp ON rp.release_id = d.release_id
		LEFT JOIN (SELECT problem_id, MIN(at) AS at FROM rca_validations WHERE withdrawn_at IS NULL GROUP BY problem_id) v
			ON v.problem_id = rp.problem_id
		WHERE d.started_at >= $1 AND d.started_at < $2`}},
	{"separation_of_duties", []string{`SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.approver = r.created_by OR a.approver = c.requested_by
		THEN 1 ELSE 0 END), 0) FROM approvals a
		LEFT JOIN releases r ON a.record_type = 'release' AND r.id = CAST(SUBSTR(a.record_id, 5) AS BIGINT)
		LEFT JOIN changes c ON a.record_type = 'change' AND c.id = CAST(SUBSTR(a.record_id, 5) AS BIGINT)
		WHERE a.decision = 'approve' AND a.at >= $1 AND a.at < $2`}},
	{"pir_for_fix", []string{`SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM pirs x WHERE x.problem_id = p.id)
		THEN 1 ELSE 0 END), 0) FROM problems p WHERE p.resolved_at >= $1 AND p.resolved_at < $2`}},
	{"observation_before_closure", []string{`SELECT COUNT(*), COALESCE(SUM(CASE WHEN p.observation_until IS NULL
		OR p.closed_at < p.observation_until THEN 1 ELSE 0 END), 0) FROM problems p WHERE p.closed_at >= $1 AND p.closed_at < $2`}},
	{"retention", []string{`SELECT COUNT(*) FROM release_artifacts ra JOIN artifacts a ON a.sha256 = ra.sha256
		WHERE ra.kind IN ('rca', 'test_report', 'rollback_plan') AND EXISTS (SELECT 1 FROM deployments d
		JOIN environments en ON en.name = d.env AND en.tier = 'production'
		WHERE d.started_at >= $1 AND d.started_at < $2 AND d.release_id = ra.release_id)`}},
}

// kpiFloorIncidents groups the period's incidents by problem once, with
// their time to resolve: both incident figures in one pass.
const kpiFloorIncidents = `SELECT COUNT(*), COALESCE(SUM(x.n), 0), COALESCE(SUM(x.s), 0) FROM (
	SELECT i.problem_id AS problem_id, COUNT(*) AS n, SUM(i.resolve_seconds) AS s FROM incidents i
	WHERE i.opened_at >= $1 AND i.opened_at <= $2 GROUP BY i.problem_id) x`

// kpiFloorSQL is q in dialect d: secs(a, b) expanded, {mttr} SQLite's
// INDEXED BY of kpiRawMTTR.
func kpiFloorSQL(d store.Dialect, q string) string {
	by := ""
	if d == store.SQLite {
		by = "INDEXED BY incidents_opened_mttr"
	}
	q = strings.ReplaceAll(q, "{mttr}", by)
	for {
		i := strings.Index(q, "secs(")
		if i < 0 {
			return q
		}
		j := i + strings.Index(q[i:], ")")
		a, b, _ := strings.Cut(q[i+len("secs("):j], ",")
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		e := "CAST(ROUND((julianday(" + b + ") - julianday(" + a + ")) * 86400) AS INTEGER)"
		if d == store.Postgres {
			e = "CAST(ROUND(EXTRACT(EPOCH FROM (" + b + " - " + a + "))) AS BIGINT)"
		}
		q = q[:i] + e + q[j+1:]
	}
}

// kpiFloor compares the KPI report with the raw aggregates of its
// figures together (kpiFloorQueries, floorCompare).
func kpiFloor(ctx context.Context, st *store.Store) error {
	now := st.Now()
	report := func() error { _, err := st.KPIReport(ctx, kpiPeriod, "", "", nil); return err }
	return floorCompare(ctx, st, "KPI report", kpiFloorQueries, now.Add(-kpiPeriod), now, report)
}

// floorCompare times each of queries over [from, to] (median of kpiRuns
// runs of its fastest way), prints their total against the first alone
// (the raw aggregate of the report's main number: how far below 2× of it
// any report computed from the history at request time can be), then
// times the report against the total, alternating.
func floorCompare(ctx context.Context, st *store.Store, what string, queries []floorQuery, from, to time.Time,
	report func() error) error {
	run := func(q string) error {
		for _, one := range strings.Split(kpiFloorSQL(st.Dialect(), q), ";") {
			rows, err := st.DB().QueryContext(ctx, one, ts(from), ts(to))
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	var total, first time.Duration
	var fastest []string
	for i, f := range queries {
		var best time.Duration
		var way int
		for w, q := range f.qs {
			var ds []time.Duration
			for r := 0; r <= kpiRuns; r++ {
				t0 := time.Now()
				if err := run(q); err != nil {
					return fmt.Errorf("%s: %w", f.name, err)
				}
				if r > 0 {
					ds = append(ds, time.Since(t0))
				}
			}
			if m := median(ds); w == 0 || m < best {
				best, way = m, w
			}
		}
		if i == 0 {
			first = best
		}
		total += best
		fastest = append(fastest, f.qs[way])
		fmt.Printf("  floor: %-42s p50 %-10s (%.2f× the main aggregate; way %d of %d)\n", f.name, best.Round(time.Millisecond),
			float64(best)/float64(first), way+1, len(f.qs))
	}
	fmt.Printf("  floor: %s's figures' raw aggregates together: %s = %.2f× its main aggregate (the goal asks 2× of that for the report)\n",
		what, total.Round(time.Millisecond), float64(total)/float64(first))
	all := func() error {
		for _, q := range fastest {
			if err := run(q); err != nil {
				return err
			}
		}
		return nil
	}
	_, _, err := kpiCompareCPU(ctx, st, what+" (the same)", "its figures' raw aggregates together", report, all)
	return err
}

// controlFloor compares the controls' set-based facts
// (store.ControlRecords) with the raw aggregates of the controls together
// (controlFloorQueries, floorCompare), over the period kpiControls uses.
func controlFloor(ctx context.Context, st *store.Store) error {
	now := st.Now()
	p := control.Period{Name: "bench", From: now.Add(-kpiPeriod), To: now.Add(time.Second)}
	records := func() error { _, err := st.ControlRecords(ctx, p); return err }
	return floorCompare(ctx, st, "control records", controlFloorQueries, p.From, p.To, records)
}

package store

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

// KPIReport loads the facts of the KPI report over the period of length
// since ending now (the store's clock), in environment env and on CI ci
// ("" for all), and builds it (report.Build). targets are the success
// criteria per change model (the policy's change_models.*.targets). Every
// figure is one set-based query bounded by the period (report_kpi_sql.go);
// a filter that matches nothing gives zeros and samples of 0.
func (s *Store) KPIReport(ctx context.Context, since time.Duration, env, ci string, targets map[string]policy.Targets) (report.KPI, error) {
	now := s.Now()
	f := report.Filter{Since: now.Add(-since), Now: now, Env: env, CI: ci}
	x := report.Facts{Durations: map[string][]report.ValueCount{}}
	err := s.read(ctx, func(tx *Tx) error {
		if err := tx.reportSettings(ctx); err != nil {
			return err
		}
		args := []any{ts(f.Since), ts(f.Now), env, ci}
		var err error
		if err = tx.kpiDeployments(ctx, args, &x); err != nil {
			return err
		}
		if err = tx.kpiDurations(ctx, args, &x); err != nil {
			return err
		}
		long, err := tx.kpiLongPeriod(ctx, f)
		if err != nil {
			return err
		}
		if err = tx.kpiMTTR(ctx, args, long, &x); err != nil {
			return err
		}
		if x.Recurrence, err = tx.kpiRecurrence(ctx, args); err != nil {
			return err
		}
		if x.Closed, x.AfterClosure, err = tx.kpiAfterClosure(ctx, args); err != nil {
			return err
		}
		if x.Incidents, err = tx.kpiIncidentProblems(ctx, args, long); err != nil {
			return err
		}
		x.Targets, err = tx.kpiTargets(ctx, args, targets, now)
		return err
	})
	if err != nil {
		return report.KPI{}, err
	}
	return report.Build(f, x), nil
}

// withIncidentFilter puts kpiIncidentFilter for the environment and CI of
// args ($3, $4) in place of incidentsInPeriod in q.
func withIncidentFilter(q string, args []any) string {
	env, _ := args[2].(string)
	ci, _ := args[3].(string)
	return strings.ReplaceAll(q, incidentsInPeriod, kpiIncidentFilter(env, ci))
}

// incidentQuery is q with kpiIncidentFilter for args in place of
// incidentsInPeriod and, on SQLite, INDEXED BY index in place of indexedBy
// (nothing when index is "" or on PostgreSQL).
func (tx *Tx) incidentQuery(q string, args []any, index string) string {
	by := ""
	if tx.dialect == SQLite && index != "" {
		by = " INDEXED BY " + index
	}
	return strings.Replace(withIncidentFilter(q, args), indexedBy, by, 1)
}

// kpiSQL puts the dialect's expression of whole seconds between two times
// in place of every secs(a, b) of q, and of a time's calendar month (UTC,
// "YYYY-MM") in place of every month(a).
func (tx *Tx) kpiSQL(q string) string {
	q = replaceCalls(q, "secs(", func(arg string) string {
		a, c, _ := strings.Cut(arg, ",")
		return secondsBetween(tx.dialect, strings.TrimSpace(a), strings.TrimSpace(c))
	})
	return replaceCalls(q, "month(", func(arg string) string { return monthOf(tx.dialect, strings.TrimSpace(arg)) })
}

// replaceCalls replaces every call name(arg) of q (arg without
// parentheses) by expand(arg).
func replaceCalls(q, name string, expand func(arg string) string) string {
	var b strings.Builder
	for {
		i := strings.Index(q, name)
		if i < 0 {
			b.WriteString(q)
			return b.String()
		}
		j := i + strings.Index(q[i:], ")")
		b.WriteString(q[:i])
		b.WriteString(expand(q[i+len(name) : j]))
		q = q[j+1:]
	}
}

// monthOf is the SQL of time a's calendar month in UTC, "YYYY-MM" (SQLite
// stores times as UTC text, tsFormat).
func monthOf(d Dialect, a string) string {
	if d == Postgres {
		return "to_char(" + a + " AT TIME ZONE 'UTC', 'YYYY-MM')"
	}
	return "substr(" + a + ", 1, 7)"
}

// secondsBetween is the SQL of the whole seconds from time a to time b.
func secondsBetween(d Dialect, a, b string) string {
	if d == Postgres {
		return "CAST(ROUND(EXTRACT(EPOCH FROM (" + b + " - " + a + "))) AS BIGINT)"
	}
	return "CAST(ROUND((julianday(" + b + ") - julianday(" + a + ")) * 86400) AS INTEGER)"
}

// teamKey names a team: a CI's owner, or "(no owner)".
func teamKey(owner string) string {
	if owner == "" {
		return "(no owner)"
	}
	return owner
}

// reportSettings tunes a report's read transaction: on PostgreSQL it
// turns JIT compilation off (SET LOCAL: this transaction only). The
// report's queries are planned as costly over large tables, which starts
// JIT, whose compile time (measured up to seconds under load) exceeds
// what it saves on these index-driven aggregates (bench/README.md, kpi).
func (tx *Tx) reportSettings(ctx context.Context) error {
	if tx.dialect != Postgres {
		return nil
	}
	_, err := tx.exec(ctx, `SET LOCAL jit = off`)
	return err
}

// kpiDeployments reads the deployment facts of the report in one query
// (kpiDeploymentsSQL): the groups by release type and month, the groups by
// team, and the candidates for failure in id order.
func (tx *Tx) kpiDeployments(ctx context.Context, args []any, x *report.Facts) error {
	a := append(append([]any{}, args...), report.FailingStatuses[0], report.FailingStatuses[1], report.FailingStatuses[2])
	rows, err := tx.query(ctx, tx.kpiSQL(kpiDeploymentsSQL), a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var ids []int64 // the candidates' ids, to sort them by number
	for rows.Next() {
		var kind string
		var g report.DeploymentGroup
		var inc, id, rel int64
		var env string
		if err := rows.Scan(&kind, &g.Key, &g.Month, &g.Status, &inc, &g.Count, &id, &rel, &env); err != nil {
			return err
		}
		g.Incident = inc > 0
		switch kind {
		case "type":
			x.Deployments = append(x.Deployments, g)
		case "team":
			g.Key = teamKey(g.Key)
			x.TeamDeployments = append(x.TeamDeployments, g)
		case "duration":
			x.Durations[g.Key] = append(x.Durations[g.Key], report.ValueCount{Seconds: id, Count: g.Count})
		default:
			ids = append(ids, id)
			x.Candidates = append(x.Candidates, report.DeploymentFact{Key: g.Key, FailedDeployment: report.FailedDeployment{
				ID: ident.Deployment.Format(id), Release: ident.Release.Format(rel), Env: env, Status: g.Status, Incidents: inc}})
		}
	}
	sortByIDs(x.Candidates, ids)
	return rows.Err()
}

// sortByIDs sorts facts in the order of their numeric ids (ids[i] is
// facts[i]'s), as their texts would not (DEP-10 before DEP-9).
func sortByIDs[T any](facts []T, ids []int64) {
	order := make([]int, len(facts))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(ids[a], ids[b]) })
	sorted := make([]T, len(facts))
	for i, j := range order {
		sorted[i] = facts[j]
	}
	copy(facts, sorted)
}

// kpiDurations adds the problem flow's histograms (kpiDurationsSQL) to
// x.Durations (made by KPIReport).
func (tx *Tx) kpiDurations(ctx context.Context, args []any, x *report.Facts) error {
	rows, err := tx.query(ctx, tx.kpiSQL(kpiDurationsSQL), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m string
		var v report.ValueCount
		if err := rows.Scan(&m, &v.Seconds, &v.Count); err != nil {
			return err
		}
		x.Durations[m] = append(x.Durations[m], v)
	}
	return rows.Err()
}

// kpiLongPeriod reports whether the incidents of f are best read in the
// order of an index over the whole history rather than as the period's
// range: on SQLite without environment or CI filter, when the period spans
// a quarter of the incidents' history or more. Read in order, SQLite
// groups with no sort but reads every incident; sorting a value costs it
// about five times reading one (bench/README.md, session 9), so past a
// quarter reading all is cheaper. PostgreSQL hashes: always the range.
func (tx *Tx) kpiLongPeriod(ctx context.Context, f report.Filter) (bool, error) {
	if tx.dialect != SQLite || f.Env != "" || f.CI != "" {
		return false, nil
	}
	var oldest *time.Time
	if err := tx.queryRow(ctx, `SELECT MIN(opened_at) FROM incidents`).Scan(nullTimeCol{&oldest}); err != nil {
		return false, err
	}
	return oldest != nil && 4*f.Now.Sub(f.Since) >= f.Now.Sub(*oldest), nil
}

// kpiMTTR adds the incidents' histogram of time to resolve
// (report.MeasureMTTR) to x.Durations: in the order of the seconds over
// the whole history when long (kpiLongPeriod, kpiMTTROrderedSQL), else the
// period's range (kpiMTTRSQL). Both give the same histogram.
func (tx *Tx) kpiMTTR(ctx context.Context, args []any, long bool, x *report.Facts) error {
	q := kpiMTTROrderedSQL
	if !long {
		q = tx.incidentQuery(kpiMTTRSQL, args, "incidents_opened_mttr")
	}
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var v report.ValueCount
		if err := rows.Scan(&v.Seconds, &v.Count); err != nil {
			return err
		}
		x.Durations[report.MeasureMTTR] = append(x.Durations[report.MeasureMTTR], v)
	}
	return rows.Err()
}

func (tx *Tx) kpiRecurrence(ctx context.Context, args []any) ([]report.RecurrenceGroup, error) {
	rows, err := tx.query(ctx, kpiRecurrenceSQL, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.RecurrenceGroup
	for rows.Next() {
		var g report.RecurrenceGroup
		if err := rows.Scan(&g.Dim, &g.Key, &g.Recurrences, &g.Problems); err != nil {
			return nil, err
		}
		switch g.Dim {
		case report.ByProblem:
			n, _ := strconv.ParseInt(g.Key, 10, 64)
			g.Key = ident.Problem.Format(n)
		case report.ByTeam:
			g.Key = teamKey(g.Key)
		case report.ByChangeModel, report.ByCategory:
			if g.Key == "" {
				g.Key = "(none)"
			}
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"time"

	"fixgate/internal/ident"
	"fixgate/internal/pir"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

func (tx *Tx) kpiAfterClosure(ctx context.Context, args []any) (int64, []report.ClosedRecurrence, error) {
	var closed int64
	if err := tx.queryRow(ctx, kpiClosedSQL, args...).Scan(&closed); err != nil {
		return 0, nil, err
	}
	rows, err := tx.query(ctx, kpiAfterClosureSQL, args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var out []report.ClosedRecurrence
	for rows.Next() {
		var id int64
		var c report.ClosedRecurrence
		if err := rows.Scan(&id, &c.Incidents); err != nil {
			return 0, nil, err
		}
		c.Problem = ident.Problem.Format(id)
		out = append(out, c)
	}
	return closed, out, rows.Err()
}

// kpiIncidentProblems reads kpiIncidentProblemsSQL; when long
// (kpiLongPeriod), the period's incidents in problem order
// (incidents_problem_opened: no sort, every linked incident read).
func (tx *Tx) kpiIncidentProblems(ctx context.Context, args []any, long bool) ([]report.IncidentProblem, error) {
	index := ""
	if long {
		index = "incidents_problem_opened"
	}
	rows, err := tx.query(ctx, tx.incidentQuery(kpiIncidentProblemsSQL, args, index), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []report.IncidentProblem
	for rows.Next() {
		var id, fix int64
		var p report.IncidentProblem
		if err := rows.Scan(&id, &p.InPeriod, &p.Total, &p.Status, nullTimeCol{&p.ObservationUntil}, &fix); err != nil {
			return nil, err
		}
		p.Problem, p.FixReleased = ident.Problem.Format(id), fix > 0
		out = append(out, p)
	}
	return out, rows.Err()
}

// kpiTargets evaluates the targets of the fixes resolved by a deployment
// in the period whose change model states some (pir.Evaluate), from the
// incidents of each problem in the windows around its resolution. A fix
// whose review stored a final evaluation (pir.Evaluation.Final: nothing
// pending) keeps it, whatever the policy says now: history is not
// rewritten by a later policy.
func (tx *Tx) kpiTargets(ctx context.Context, args []any, targets map[string]policy.Targets, now time.Time) ([]pir.FixTargets, error) {
	rows, err := tx.query(ctx, tx.kpiSQL(kpiTargetsSQL), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []pir.FixTargets{}
	for rows.Next() {
		var id, rel, pirID, before, after, resolved, sum int64
		var resolvedAt, until *time.Time
		var model, stored string
		if err := rows.Scan(&id, nullTimeCol{&resolvedAt}, nullTimeCol{&until}, &model, &rel, &pirID, &stored, &before, &after,
			&resolved, &sum); err != nil {
			return nil, err
		}
		f := pir.FixTargets{Problem: ident.Problem.Format(id), Release: ident.Release.Format(rel), ChangeModel: model}
		var e *pir.Evaluation
		if stored != "" {
			if err := (jsonCol{&e}).Scan(stored); err != nil {
				return nil, err
			}
		}
		if e.Final() {
			f.ChangeModel, f.Results, f.PIR = e.ChangeModel, e.Results, ident.PIR.Format(pirID)
			out = append(out, f)
			continue
		}
		t, ok := targets[model]
		w, okw := pir.KPIWindows(resolvedAt, until)
		if !ok || !t.Any() || !okw {
			continue
		}
		m := pir.Measured{Windows: w, Before: before, After: after}
		if resolved > 0 {
			d := time.Duration(sum/resolved) * time.Second
			m.MTTRAfter = &d
		}
		f.Results = pir.Evaluate(t, m, now)
		out = append(out, f)
	}
	return out, rows.Err()
}

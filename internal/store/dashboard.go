package store

import (
	"context"
	"encoding/json"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// Dashboard is what needs attention now. Every list is bounded by
// DashboardRows (OldestOpen by DashboardRows per priority) and read through
// an index (migration 00020); counts stop at CountCap.
type Dashboard struct {
	OpenCounts       [4]int               // open problems of priority 1..4
	OldestOpen       [4][]problem.Problem // the oldest open problems of each priority, oldest first
	Observing        []problem.Problem    // resolved, soonest end of observation first
	ObservingCount   int
	InFlight         []release.Release   // approved, deploying or deployed (not yet verified), newest first per status
	Live             []LiveDeployment    // running, paused or rolling back, newest first
	Blocked          []BlockedDeployment // blocked by the gate, newest first
	Recurrences      []Recurrence        // since RecurrencesSince, newest first
	RecurrenceCount  int
	RecurrencesSince time.Time
}

// DashboardRows bounds each list of the dashboard.
const DashboardRows = 10

// LiveDeployment is a deployment in progress with its latest measurements
// (newest first, at most 3).
type LiveDeployment struct {
	deploy.Deployment
	Latest []analysis.Measurement
}

// BlockedDeployment is a deployment the gate blocked, with the evaluation
// and the first rule that failed in it.
type BlockedDeployment struct {
	deploy.Deployment
	Rule   string // "" when the evaluation is gone or names no failed rule
	Reason string
}

// Recurrence is one reopening of a resolved problem by a recurrence (its
// problem.recur audit event).
type Recurrence struct {
	Problem string
	Title   string
	At      time.Time
	Count   int // the problem's recurrence count after it
}

// openStates is the literal the partial index problems_open is built on;
// SQLite uses that index only for queries that repeat it.
const openStates = `status IN ('new', 'assess', 'rca', 'fix_in_progress')`

// ReadDashboard reads the dashboard at now in one read transaction.
func (s *Store) ReadDashboard(ctx context.Context) (Dashboard, error) {
	var d Dashboard
	err := s.read(ctx, func(tx *Tx) error {
		d.RecurrencesSince = tx.now.Add(-30 * 24 * time.Hour)
		for _, step := range []func(context.Context, *Dashboard) error{
			tx.dashOpen, tx.dashObserving, tx.dashInFlight, tx.dashLive, tx.dashBlocked, tx.dashRecurrences,
		} {
			if err := step(ctx, &d); err != nil {
				return err
			}
		}
		return nil
	})
	return d, errf(err, "read dashboard")
}

func (tx *Tx) dashOpen(ctx context.Context, d *Dashboard) error {
	for p := 1; p <= 4; p++ {
		ps, err := tx.problems(ctx, problemSelect+` WHERE `+openStates+` AND priority = $1 ORDER BY id LIMIT $2`, p, DashboardRows)
		if err != nil {
			return err
		}
		d.OldestOpen[p-1] = ps
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM problems WHERE `+openStates+` AND priority = $1 LIMIT $2) x`,
			p, CountCap).Scan(&d.OpenCounts[p-1]); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) dashObserving(ctx context.Context, d *Dashboard) error {
	var err error
	d.Observing, err = tx.problems(ctx, problemSelect+` WHERE status = 'resolved' AND observation_until IS NOT NULL
		ORDER BY observation_until LIMIT $1`, DashboardRows)
	if err != nil {
		return err
	}
	return tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM problems WHERE status = 'resolved' LIMIT $1) x`, CountCap).
		Scan(&d.ObservingCount)
}

// problems runs a problemSelect query.
func (tx *Tx) problems(ctx context.Context, q string, args ...any) ([]problem.Problem, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []problem.Problem
	for rows.Next() {
		p, _, err := scanProblem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func (tx *Tx) dashInFlight(ctx context.Context, d *Dashboard) error {
	for _, st := range []string{release.Deploying, release.Deployed, release.Approved} {
		if len(d.InFlight) == DashboardRows {
			return nil
		}
		rows, err := tx.query(ctx, `SELECT `+releaseCols+` FROM releases WHERE status = $1 ORDER BY id DESC LIMIT $2`,
			st, DashboardRows-len(d.InFlight))
		if err != nil {
			return err
		}
		for rows.Next() {
			r, _, err := scanRelease(rows)
			if err != nil {
				rows.Close()
				return err
			}
			d.InFlight = append(d.InFlight, r)
		}
		if err := firstErr(rows.Err(), rows.Close()); err != nil {
			return err
		}
	}
	return nil
}

// deployments runs a query of deploymentCols.
func (tx *Tx) deployments(ctx context.Context, q string, args ...any) ([]deploy.Deployment, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deploy.Deployment
	for rows.Next() {
		x, err := scanDeployment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (tx *Tx) dashLive(ctx context.Context, d *Dashboard) error {
	ds, err := tx.deployments(ctx, `SELECT `+deploymentCols+` FROM deployments
		WHERE status IN ('running', 'paused', 'rolling_back') ORDER BY id DESC LIMIT $1`, DashboardRows)
	if err != nil {
		return err
	}
	for _, x := range ds {
		id, _ := ident.Deployment.Parse("id", x.ID)
		ms, err := tx.latestMeasurements(ctx, id, 3)
		if err != nil {
			return err
		}
		d.Live = append(d.Live, LiveDeployment{Deployment: x, Latest: ms})
	}
	return nil
}

// latestMeasurements returns deployment id's latest n measurements, newest first.
func (tx *Tx) latestMeasurements(ctx context.Context, id int64, n int) ([]analysis.Measurement, error) {
	rows, err := tx.query(ctx, `SELECT stage, check_name, kind, at, value, outcome, message FROM deployment_measurements
		WHERE deployment_id = $1 ORDER BY id DESC LIMIT $2`, id, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []analysis.Measurement
	for rows.Next() {
		m := analysis.Measurement{Deployment: ident.Deployment.Format(id)}
		var v string
		if err := rows.Scan(&m.Stage, &m.Check, &m.Kind, timeCol{&m.At}, &v, &m.Outcome, &m.Message); err != nil {
			return nil, err
		}
		m.Value = json.RawMessage(v)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (tx *Tx) dashBlocked(ctx context.Context, d *Dashboard) error {
	ds, err := tx.deployments(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE status = 'blocked'
		ORDER BY id DESC LIMIT $1`, DashboardRows)
	if err != nil {
		return err
	}
	for _, x := range ds {
		b := BlockedDeployment{Deployment: x}
		if x.Gate != "" {
			gid, _ := ident.Gate.Parse("gate", x.Gate)
			e, err := scanGateEvaluation(tx.queryRow(ctx, `SELECT `+gateEvalCols+gateEvalFrom+` WHERE e.id = $1`, gid))
			if err != nil {
				return err
			}
			b.Rule, b.Reason = firstFailure(e.Verdict)
		}
		d.Blocked = append(d.Blocked, b)
	}
	return nil
}

// firstFailure returns the first rule of v that failed and its reason.
func firstFailure(v gate.Verdict) (rule, reason string) {
	for _, r := range v.Rules {
		if r.Result == gate.Fail {
			return r.Rule, r.Reason
		}
	}
	return "", ""
}

func (tx *Tx) dashRecurrences(ctx context.Context, d *Dashboard) error {
	rows, err := tx.query(ctx, `SELECT record_id, at, after_json FROM audit_events WHERE action = 'problem.recur' AND at >= $1
		ORDER BY at DESC, seq DESC LIMIT $2`, ts(d.RecurrencesSince), DashboardRows)
	if err != nil {
		return err
	}
	for rows.Next() {
		var r Recurrence
		var after string
		if err := rows.Scan(&r.Problem, timeCol{&r.At}, &after); err != nil {
			rows.Close()
			return err
		}
		var p problem.Problem
		if json.Unmarshal([]byte(after), &p) == nil {
			r.Title, r.Count = p.Title, p.RecurrenceCount
		}
		d.Recurrences = append(d.Recurrences, r)
	}
	if err := firstErr(rows.Err(), rows.Close()); err != nil {
		return err
	}
	return tx.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM audit_events WHERE action = 'problem.recur' AND at >= $1 LIMIT $2) x`,
		ts(d.RecurrencesSince), CountCap).Scan(&d.RecurrenceCount)
}

package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/ident"
)

// RecordMeasurement stores one measurement of deployment m.Deployment's
// analysis, with its audit event.
func (s *Store) RecordMeasurement(ctx context.Context, a audit.Actor, m analysis.Measurement) error {
	id, err := ident.Deployment.Parse("deployment", m.Deployment)
	if err != nil {
		return err
	}
	return s.RecordMeasurements(ctx, a, id, []analysis.Measurement{m})
}

// RecordMeasurements stores measurements ms of deployment id's analysis,
// each with its audit event, in one transaction.
func (s *Store) RecordMeasurements(ctx context.Context, a audit.Actor, id int64, ms []analysis.Measurement) error {
	return s.write(ctx, a, func(tx *Tx) error { return tx.insertMeasurements(ctx, id, ms) })
}

func (tx *Tx) insertMeasurements(ctx context.Context, id int64, ms []analysis.Measurement) error {
	for _, m := range ms {
		if err := tx.insertMeasurement(ctx, id, m); err != nil {
			return err
		}
	}
	return nil
}

// insertMeasurement is RecordMeasurement in tx, for deployment id.
func (tx *Tx) insertMeasurement(ctx context.Context, id int64, m analysis.Measurement) error {
	if len(m.Value) == 0 {
		m.Value = json.RawMessage("null")
	}
	if m.Records == nil {
		m.Records = []string{}
	}
	if m.At.IsZero() || m.At.After(tx.now) {
		m.At = tx.now
	}
	if _, err := tx.exec(ctx, tallySQL, tallyArgs(id, m)...); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO deployment_measurements (deployment_id, stage, template, check_name, kind, at,
		query, value, outcome, message, records) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		id, m.Stage, m.Template, m.Check, m.Kind, ts(m.At), m.Query, string(m.Value), m.Outcome, m.Message, jsonText(m.Records)); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "deployment.measure", "deployment", m.Deployment, 0, nil, m)
}

// ListMeasurements returns deployment id's measurements, oldest first.
func (s *Store) ListMeasurements(ctx context.Context, id int64) ([]analysis.Measurement, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stage, template, check_name, kind, at, query, value, outcome, message, records
		FROM deployment_measurements WHERE deployment_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errf(err, "list measurements")
	}
	defer rows.Close()
	out := []analysis.Measurement{}
	for rows.Next() {
		m := analysis.Measurement{Deployment: ident.Deployment.Format(id)}
		var v string
		if err := rows.Scan(&m.Stage, &m.Template, &m.Check, &m.Kind, timeCol{&m.At}, &m.Query, &v, &m.Outcome, &m.Message,
			jsonCol{&m.Records}); err != nil {
			return nil, errf(err, "scan measurement")
		}
		m.Value = json.RawMessage(v)
		out = append(out, m)
	}
	return out, errf(rows.Err(), "list measurements")
}

// CheckKey names a check of an analysis template.
type CheckKey struct{ Template, Check string }

// Tallies returns the tally of deployment id's measurements at stage (a
// stage's name, the watch or after-rollback: rollout.Window), per check:
// one row each (deployment_tallies, kept by insertMeasurement), however
// many measurements a long stage accumulated.
func (s *Store) Tallies(ctx context.Context, id int64, stage string) (map[CheckKey]analysis.Tally, error) {
	rows, err := s.queryHot(ctx, `SELECT template, check_name, measurements, successful, failed, inconclusive,
		error_run, longest_error_run, last_failed, last_error, last_at, last_failure_at, latest_at, latest_error
		FROM deployment_tallies WHERE deployment_id = $1 AND stage = $2`, id, stage)
	if err != nil {
		return nil, errf(err, "tallies")
	}
	defer rows.Close()
	out := map[CheckKey]analysis.Tally{}
	for rows.Next() {
		var k CheckKey
		var t analysis.Tally
		var failure *time.Time
		if err := rows.Scan(&k.Template, &k.Check, &t.Measurements, &t.Successful, &t.Failed, &t.Inconclusive, &t.ErrorRun,
			&t.LongestErrorRun, &t.LastFailed, &t.LastError, timeCol{&t.Last}, nullTimeCol{&failure}, timeCol{&t.Latest},
			&t.LatestError); err != nil {
			return nil, errf(err, "scan tally")
		}
		if failure != nil {
			t.LastFailure = *failure
		}
		out[k] = t
	}
	return out, errf(rows.Err(), "tallies")
}

// tallySQL adds measurement ($5 at, with outcome flags) to the tally of
// its check at its stage, as analysis.Tally.Add does (each SET expression
// reads the row before the update): the first one inserts the tally of one
// measurement. insertMeasurement runs it before the measurement's INSERT,
// so on PostgreSQL concurrent inserts of one check take its row lock, and
// so their ids, in the order they are added.
const tallySQL = `INSERT INTO deployment_tallies (deployment_id, stage, template, check_name, measurements, successful, failed,
	inconclusive, error_run, longest_error_run, last_failed, last_error, last_at, last_failure_at, latest_at, latest_error)
	VALUES ($1, $2, $3, $4, 1, $6, $7, $8, $9, $9, $10, $11, $5, $12, $5, $13)
	ON CONFLICT (deployment_id, stage, template, check_name) DO UPDATE SET
	measurements = deployment_tallies.measurements + 1,
	successful = deployment_tallies.successful + excluded.successful,
	failed = deployment_tallies.failed + excluded.failed,
	inconclusive = deployment_tallies.inconclusive + excluded.inconclusive,
	error_run = CASE WHEN excluded.error_run = 1 THEN deployment_tallies.error_run + 1 ELSE 0 END,
	longest_error_run = CASE WHEN excluded.error_run = 1 AND deployment_tallies.error_run >= deployment_tallies.longest_error_run
		THEN deployment_tallies.error_run + 1 ELSE deployment_tallies.longest_error_run END,
	last_failed = CASE WHEN excluded.failed = 1 THEN excluded.last_failed ELSE deployment_tallies.last_failed END,
	last_error = CASE WHEN excluded.error_run = 1 THEN excluded.last_error ELSE deployment_tallies.last_error END,
	last_at = excluded.last_at,
	last_failure_at = COALESCE(excluded.last_failure_at, deployment_tallies.last_failure_at),
	latest_error = CASE WHEN excluded.latest_at > deployment_tallies.latest_at THEN excluded.latest_error
		ELSE deployment_tallies.latest_error END,
	latest_at = CASE WHEN excluded.latest_at > deployment_tallies.latest_at THEN excluded.latest_at
		ELSE deployment_tallies.latest_at END`

// tallyArgs are tallySQL's arguments for m, a measurement of deployment id.
func tallyArgs(id int64, m analysis.Measurement) []any {
	flag := func(outcome string) int {
		if m.Outcome == outcome {
			return 1
		}
		return 0
	}
	lastFailed, lastError := "", ""
	var failureAt any // NULL: neither failed nor an error
	switch m.Outcome {
	case analysis.Failed:
		lastFailed, failureAt = m.Message, ts(m.At)
	case analysis.Error:
		lastError, failureAt = m.Message, ts(m.At)
	}
	return []any{id, m.Stage, m.Template, m.Check, ts(m.At), flag(analysis.Successful), flag(analysis.Failed),
		flag(analysis.Inconclusive), flag(analysis.Error), lastFailed, lastError, failureAt, m.Outcome == analysis.Error}
}

// recurrencesSQL lists the signals matched to the problems deployment $1's
// release resolves, in its environment, received since $2.
const recurrencesSQL = `SELECT sg.id FROM signals sg JOIN deployments d ON d.env = sg.env
	JOIN release_problems rp ON rp.release_id = d.release_id AND rp.problem_id = sg.problem_id
	WHERE d.id = $1 AND sg.signature_id IS NOT NULL AND sg.received_at >= $2 ORDER BY sg.id LIMIT 100`

// newIncidentsSQL lists the incidents opened since $2 in deployment $1's
// environment on its release's CIs at severity $3 or higher.
const newIncidentsSQL = `SELECT i.id FROM incidents i JOIN deployments d ON d.env = i.env
	WHERE d.id = $1 AND i.opened_at >= $2 AND i.severity <= $3 AND i.ci IN (SELECT cv.ci FROM release_components rc
		JOIN component_versions cv ON cv.id = rc.component_version_id WHERE rc.release_id = d.release_id)
	ORDER BY i.id LIMIT 100`

// Recurrences returns the signals ("signal N") matched to the problems
// deployment id's release resolves, in its environment, received since
// since: the evidence of a recurrence check.
func (s *Store) Recurrences(ctx context.Context, id int64, since time.Time) ([]string, error) {
	ns, err := s.ints(ctx, recurrencesSQL, id, ts(since))
	return signalRecords(ns), err
}

func (tx *Tx) recurrences(ctx context.Context, id int64, since time.Time) ([]string, error) {
	ns, err := tx.int64s(ctx, recurrencesSQL, id, ts(since))
	out := make([]int, len(ns))
	for i, n := range ns {
		out[i] = int(n)
	}
	return signalRecords(out), err
}

func signalRecords(ns []int) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, "signal "+strconv.Itoa(n))
	}
	return out
}

// NewIncidents returns the incidents (INC-n) opened since since in
// deployment id's environment on its release's CIs at severity
// minSeverity or higher (1 is highest).
func (s *Store) NewIncidents(ctx context.Context, id int64, since time.Time, minSeverity int) ([]string, error) {
	ns, err := s.ints(ctx, newIncidentsSQL, id, ts(since), minSeverity)
	out := []string{}
	for _, n := range ns {
		out = append(out, ident.Incident.Format(int64(n)))
	}
	return out, err
}

func (tx *Tx) newIncidents(ctx context.Context, id int64, since time.Time, minSeverity int) ([]string, error) {
	ns, err := tx.int64s(ctx, newIncidentsSQL, id, ts(since), minSeverity)
	out := []string{}
	for _, n := range ns {
		out = append(out, ident.Incident.Format(n))
	}
	return out, err
}

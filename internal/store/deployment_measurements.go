package store

import (
	"context"
	"database/sql"
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
// stage's name, the watch or after-rollback: rollout.Window), per check.
// The database counts; of the rows it reads back only those a tally
// states (tallySQL), so the cost does not grow with the measurements a
// long stage accumulates (a check every second for an hour: 3,600).
func (s *Store) Tallies(ctx context.Context, id int64, stage string) (map[CheckKey]analysis.Tally, error) {
	rows, err := s.db.QueryContext(ctx, tallySQL, id, stage)
	if err != nil {
		return nil, errf(err, "tally measurements")
	}
	defer rows.Close()
	out := map[CheckKey]analysis.Tally{}
	runs := map[CheckKey]int{} // the run of errors ending at the check's row read last
	for rows.Next() {
		var k CheckKey
		var r tallyRow
		var t analysis.Tally
		if err := rows.Scan(&k.Template, &k.Check, timeCol{&r.at}, &r.outcome, &r.message, &t.Measurements, &t.Successful,
			&t.Failed, &t.Inconclusive, &r.last, &r.latest, &r.prev); err != nil {
			return nil, errf(err, "scan tally")
		}
		if old, ok := out[k]; ok {
			t = old
		}
		runs[k] = r.into(&t, runs[k])
		out[k] = t
	}
	return out, errf(rows.Err(), "tally measurements")
}

// tallyRow is one row tallySQL reads back.
type tallyRow struct {
	at               time.Time
	outcome, message string
	last, latest     bool           // the check's last row; taken at its latest time
	prev             sql.NullString // an error's: the outcome of the check's row before it
}

// into states r in t, whose counts are set; run is the run of errors
// ending at the check's row before r that was read back, which is the
// check's row before r when that is an error. Returns the run ending at r.
func (r tallyRow) into(t *analysis.Tally, run int) int {
	switch r.outcome {
	case analysis.Error:
		if r.prev.String != analysis.Error {
			run = 0
		}
		run++
		t.LongestErrorRun = max(t.LongestErrorRun, run)
		t.LastError, t.LastFailure = r.message, r.at
	case analysis.Failed:
		t.LastFailed, t.LastFailure = r.message, r.at
	}
	if r.outcome != analysis.Error {
		run = 0
	}
	if r.last {
		t.Last, t.ErrorRun = r.at, run
	}
	if r.latest && t.Latest.IsZero() { // the first in order taken at the latest time
		t.Latest, t.LatestError = r.at, r.outcome == analysis.Error
	}
	return run
}

// tallySQL tallies deployment $1's measurements at stage $2, per check:
// one aggregate counts each outcome and finds the last row and the latest
// time; the rows read back are those that did not succeed (each error with
// the outcome of the check's row before it, found backwards through
// deployment_measurements_dep: the runs of errors), the last, and those
// taken at the latest time, in order.
const tallySQL = `SELECT m.template, m.check_name, m.at, m.outcome, m.message, g.n, g.successful, g.failed, g.inconclusive,
	m.id = g.last_id, m.at = g.latest_at,
	CASE WHEN m.outcome = 'error' THEN (SELECT p.outcome FROM deployment_measurements p WHERE p.deployment_id = $1
		AND p.id < m.id AND p.stage = $2 AND p.template = m.template AND p.check_name = m.check_name ORDER BY p.id DESC LIMIT 1) END
	FROM (SELECT template, check_name, COUNT(*) AS n, SUM(CASE WHEN outcome = 'successful' THEN 1 ELSE 0 END) AS successful,
		SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
		SUM(CASE WHEN outcome = 'inconclusive' THEN 1 ELSE 0 END) AS inconclusive, MAX(id) AS last_id, MAX(at) AS latest_at
		FROM deployment_measurements WHERE deployment_id = $1 AND stage = $2 GROUP BY template, check_name) g
	JOIN deployment_measurements m ON m.deployment_id = $1 AND m.stage = $2 AND m.template = g.template
		AND m.check_name = g.check_name AND (m.outcome <> 'successful' OR m.id = g.last_id OR m.at = g.latest_at)
	ORDER BY m.id`

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

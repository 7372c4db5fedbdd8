package store

import (
	"context"
	"database/sql"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// The facts of the gate rules progression and target_health.

// deployments reads the release's deployments (index deployments_release:
// one release's, never the environment's history) and keeps one per
// environment: the newest that counts for progression (gate.Progressed),
// else the newest, in environment order of first deployment.
func (g *gatherer) deployments(ctx context.Context, in *gate.Input) error {
	rows, err := g.r.QueryContext(ctx, `SELECT id, env, status, finished_at, rev FROM deployments
		WHERE release_id = $1 ORDER BY id`, releaseNum(in))
	if err != nil {
		return err
	}
	defer rows.Close()
	type kept struct {
		d   gate.Deployment
		rev int64
	}
	var out []kept
	at := map[string]int{} // environment → index in out
	for rows.Next() {
		var k kept
		var id int64
		if err := rows.Scan(&id, &k.d.Environment, &k.d.Status, nullTimeCol{&k.d.FinishedAt}, &k.rev); err != nil {
			return err
		}
		k.d.ID = ident.Deployment.Format(id)
		i, seen := at[k.d.Environment]
		switch {
		case !seen:
			at[k.d.Environment] = len(out)
			out = append(out, k)
		case gate.Progressed(k.d.Status) || !gate.Progressed(out[i].d.Status):
			out[i] = k
		}
	}
	for _, k := range out {
		in.Deployments = append(in.Deployments, k.d)
		g.revs[k.d.ID] = k.rev
	}
	return rows.Err()
}

// healthScope returns the CIs target_health looks at: the release's and
// those they depend on, transitively, through the CI graph already read.
func healthScope(in *gate.Input) map[string]bool {
	own := releaseCINames(in)
	out := make(map[string]bool, len(own))
	for _, c := range own {
		out[c] = true
	}
	for c := range gate.Dependencies(in.CIs, own) {
		out[c] = true
	}
	return out
}

// health reads what rule target_health judges on the target environment
// (the literals 'open' and 'firing' match the partial indexes' predicates),
// for the release's CIs and the CIs they depend on (healthScope; the
// queries read the environment's rows and the scope is applied here, which
// costs less than a recursive query over a large graph): the open incidents
// (partial index incidents_open_env_ci: open ones only), each with the alert
// still firing behind it (the newest signal of the incident's fingerprint,
// through signals_fingerprint, joined in the same statement), and the firing
// alerts that opened no incident and were not followed by another signal of
// their fingerprint (partial index signals_firing_alone). A firing alert
// whose incident a person resolved is not read: the person judged it.
func (g *gatherer) health(ctx context.Context, in *gate.Input) error {
	if in.Environment.Name == "" {
		return nil
	}
	scope := healthScope(in)
	rows, err := g.r.QueryContext(ctx, `SELECT i.id, i.title, i.env, i.ci, i.severity, i.source, i.opened_at, i.problem_id, i.rev,
		s.id, s.status, s.labels, s.fingerprint, s.env, s.ci, s.starts_at, s.problem_id
		FROM incidents i LEFT JOIN signals s ON i.fingerprint <> ''
			AND s.id = (SELECT MAX(r.id) FROM signals r WHERE r.fingerprint = i.fingerprint)
		WHERE i.status = 'open' AND i.env = $1 ORDER BY i.id`, in.Environment.Name)
	if err != nil {
		return err
	}
	if err := g.scanIncidents(rows, in, scope); err != nil {
		return err
	}
	return g.aloneAlerts(ctx, in, scope)
}

// scanIncidents appends the open incidents of rows on a CI of scope to
// in.OpenIncidents, and the alert behind each to in.FiringAlerts while it
// is firing, in incident order.
func (g *gatherer) scanIncidents(rows *sql.Rows, in *gate.Input, scope map[string]bool) error {
	defer rows.Close()
	for rows.Next() {
		var i gate.Incident
		var id, rev int64
		var prb, sig, sprb sql.NullInt64
		var a alertCells
		if err := rows.Scan(&id, &i.Title, &i.Environment, &i.CI, &i.Severity, &i.Source, timeCol{&i.OpenedAt}, &prb, &rev,
			&sig, &a.status, jsonCol{&a.labels}, &a.fingerprint, &a.env, &a.ci, nullTimeCol{&a.startsAt}, &sprb); err != nil {
			return err
		}
		if !scope[i.CI] {
			continue
		}
		i.ID, i.Problem = ident.Incident.Format(id), fmtRef(ident.Problem, prb)
		g.revs[i.ID] = rev
		in.OpenIncidents = append(in.OpenIncidents, i)
		if sig.Valid && a.status.String == alertmanager.Firing {
			al := a.alert(sig.Int64, sprb)
			al.Incident = i.ID
			in.FiringAlerts = append(in.FiringAlerts, al)
		}
	}
	return rows.Err()
}

// alertCells are the nullable signal columns of an incident's newest alert.
type alertCells struct {
	status, fingerprint, env, ci sql.NullString
	labels                       map[string]string
	startsAt                     *time.Time
}

func (c alertCells) alert(id int64, prb sql.NullInt64) gate.Alert {
	a := gate.Alert{Signal: id, Fingerprint: c.fingerprint.String, Environment: c.env.String, CI: c.ci.String,
		Name: c.labels["alertname"], Severity: alertSeverity(c.labels["severity"]), Problem: fmtRef(ident.Problem, prb)}
	if c.startsAt != nil {
		a.StartsAt = *c.startsAt
	}
	return a
}

// aloneAlerts appends the firing alerts on a CI of scope that have no incident.
func (g *gatherer) aloneAlerts(ctx context.Context, in *gate.Input, scope map[string]bool) error {
	rows, err := g.r.QueryContext(ctx, `SELECT `+alertCols+` FROM signals s
		WHERE s.status = 'firing' AND s.incident_id IS NULL AND s.env = $1
		AND NOT EXISTS (SELECT 1 FROM signals r WHERE r.fingerprint = s.fingerprint AND r.id > s.id) ORDER BY s.id`,
		in.Environment.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return err
		}
		if scope[a.CI] {
			in.FiringAlerts = append(in.FiringAlerts, a.Alert)
		}
	}
	return rows.Err()
}

const alertCols = `id, status, labels, fingerprint, env, ci, starts_at, problem_id`

type alertRow struct {
	gate.Alert
	firing bool
}

func scanAlert(sc interface{ Scan(...any) error }) (alertRow, error) {
	var a alertRow
	var lbls map[string]string
	var status string
	var prb sql.NullInt64
	if err := sc.Scan(&a.Signal, &status, jsonCol{&lbls}, &a.Fingerprint, &a.Environment, &a.CI, timeCol{&a.StartsAt}, &prb); err != nil {
		return a, err
	}
	a.firing = status == alertmanager.Firing
	a.Name, a.Severity, a.Problem = lbls["alertname"], alertSeverity(lbls["severity"]), fmtRef(ident.Problem, prb)
	return a, nil
}

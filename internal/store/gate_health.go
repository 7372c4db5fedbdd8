package store

import (
	"database/sql"
	"maps"
	"slices"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// The facts of the gate rules progression and target_health.

// keptDeployments reads the release's deployments (index
// deployments_release: one release's, never the environment's history) and
// keeps one per environment: the newest that counts for progression
// (gate.Progressed), else the newest, in environment order of first
// deployment.
type keptDeployments struct {
	list []gate.Deployment
	revs []int64
	at   map[string]int // environment → index in list
}

func (k *keptDeployments) stmt(rel int64) readStmt {
	k.at = map[string]int{}
	return readStmt{`SELECT id, env, status, finished_at, rev FROM deployments WHERE release_id = $1 ORDER BY id`,
		[]any{rel}, func(sc rowScanner) error {
			var d gate.Deployment
			var id, rev int64
			if err := sc.Scan(&id, &d.Environment, &d.Status, nullTimeCol{&d.FinishedAt}, &rev); err != nil {
				return err
			}
			d.ID = ident.Deployment.Format(id)
			i, seen := k.at[d.Environment]
			switch {
			case !seen:
				k.at[d.Environment] = len(k.list)
				k.list, k.revs = append(k.list, d), append(k.revs, rev)
			case gate.Progressed(d.Status) || !gate.Progressed(k.list[i].Status):
				k.list[i], k.revs[i] = d, rev
			}
			return nil
		}}
}

// into appends the kept deployments to in.Deployments with their revisions.
func (k *keptDeployments) into(in *gate.Input, revs map[string]int64) {
	for i, d := range k.list {
		in.Deployments = append(in.Deployments, d)
		revs[d.ID] = k.revs[i]
	}
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

// incidentRow is an open incident with the alert still firing behind it, if any.
type incidentRow struct {
	gate.Incident
	rev   int64
	alert *gate.Alert
}

// health puts in in what rule target_health judges on the target
// environment for the release's CIs and the CIs they depend on
// (healthScope): the open incidents openIncidents read (the environment's:
// the scope is applied here), with the alerts firing behind them in
// incident order, and it returns the read of the alerts that opened no
// incident (aloneAlerts: in scope in SQL), which appends them after those.
// It needs the CI graph, so that read goes in the second list.
func (g *gatherer) health(in *gate.Input) []readStmt {
	if in.Environment.Name == "" {
		return nil
	}
	scope := healthScope(in)
	for _, i := range g.incidents {
		if !scope[i.CI] {
			continue
		}
		g.revs[i.ID] = i.rev
		in.OpenIncidents = append(in.OpenIncidents, i.Incident)
		if i.alert != nil {
			in.FiringAlerts = append(in.FiringAlerts, *i.alert)
		}
	}
	if len(scope) == 0 {
		return nil
	}
	return []readStmt{g.aloneAlerts(in, slices.Sorted(maps.Keys(scope)))}
}

// openIncidents reads the environment's open incidents (the literal 'open'
// matches the partial index incidents_open_env_ci: open ones only), each
// with the alert still firing behind it (the newest signal of the
// incident's fingerprint, through signals_fingerprint, joined in the same
// statement). A firing alert whose incident a person resolved is not read:
// the person judged it.
func (g *gatherer) openIncidents(env string) readStmt {
	return readStmt{`SELECT i.id, i.title, i.env, i.ci, i.severity, i.source, i.opened_at, i.problem_id, i.rev,
		s.id, s.status, s.labels, s.fingerprint, s.env, s.ci, s.starts_at, s.problem_id
		FROM incidents i LEFT JOIN signals s ON i.fingerprint <> ''
			AND s.id = (SELECT MAX(r.id) FROM signals r WHERE r.fingerprint = i.fingerprint)
		WHERE i.status = 'open' AND i.env = $1 ORDER BY i.id`, []any{env}, func(sc rowScanner) error {
		var r incidentRow
		var id int64
		var prb, sig, sprb sql.NullInt64
		var a alertCells
		if err := sc.Scan(&id, &r.Title, &r.Environment, &r.CI, &r.Severity, &r.Source, timeCol{&r.OpenedAt}, &prb, &r.rev,
			&sig, &a.status, jsonCol{&a.labels}, &a.fingerprint, &a.env, &a.ci, nullTimeCol{&a.startsAt}, &sprb); err != nil {
			return err
		}
		r.ID, r.Problem = ident.Incident.Format(id), fmtRef(ident.Problem, prb)
		if sig.Valid && a.status.String == alertmanager.Firing {
			al := a.alert(sig.Int64, sprb)
			al.Incident = r.ID
			r.alert = &al
		}
		g.incidents = append(g.incidents, r)
		return nil
	}}
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

// aloneAlerts reads the firing alerts of in's environment on the CIs of
// scope that opened no incident and were not followed by another signal
// of their fingerprint, in signal order, into in.FiringAlerts (and
// g.alone). Each CI of scope is one seek of the partial index
// signals_firing_alone (env, ci, id; the literal 'firing' matches its
// predicate): the environment's other firing alerts (unrelated traffic,
// 350,000 in bench/README.md session 6) are never read. The CIs travel as
// one parameter (a JSON array on SQLite, whose table function is the one
// place the dialects differ; an array on PostgreSQL).
func (g *gatherer) aloneAlerts(in *gate.Input, scope []string) readStmt {
	var arg any = scope
	if g.s.dialect != Postgres {
		arg = jsonText(scope)
	}
	return readStmt{aloneSQL[g.s.dialect], []any{in.Environment.Name, arg}, func(sc rowScanner) error {
		a, err := scanAlert(sc)
		g.alone = append(g.alone, a.Alert)
		in.FiringAlerts = append(in.FiringAlerts, a.Alert)
		return err
	}}
}

// aloneSQL is aloneAlerts' statement: $1 the environment, $2 the CIs.
// SQLite names the index: with statistics (ANALYZE) that show the
// environment's alerts on few CIs, its planner would scan the table
// instead.
var aloneSQL = map[Dialect]string{
	SQLite: `SELECT ` + alertCols + ` FROM signals s INDEXED BY signals_firing_alone` + aloneWhere +
		`s.ci IN (SELECT value FROM json_each($2))` + aloneLatest,
	Postgres: `SELECT ` + alertCols + ` FROM signals s` + aloneWhere + `s.ci = ANY($2)` + aloneLatest,
}

const (
	aloneWhere = `
		WHERE s.status = 'firing' AND s.incident_id IS NULL AND s.env = $1 AND `
	aloneLatest = `
		AND NOT EXISTS (SELECT 1 FROM signals r WHERE r.fingerprint = s.fingerprint AND r.id > s.id) ORDER BY s.id`
)

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

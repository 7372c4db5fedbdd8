package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/signal"
)

// IngestResult says what one Alertmanager notification did.
type IngestResult struct {
	Received          int `json:"received"`
	New               int `json:"new"`
	Duplicates        int `json:"duplicates"`
	IncidentsOpened   int `json:"incidents_opened"`
	IncidentsResolved int `json:"incidents_resolved"`
	Recurrences       int `json:"recurrences"`
}

// SignalEnv and SignalCI name the labels an alert's environment and CI come
// from: env → environment; ci, else service → CI (an explicit ci label wins).
func SignalEnv(l map[string]string) string { return l["env"] }

// SignalCI returns the CI an alert names (see SignalEnv).
func SignalCI(l map[string]string) string {
	if c := l["ci"]; c != "" {
		return c
	}
	return l["service"]
}

// IngestAlerts stores the alerts of one notification as signals, in one
// transaction, and returns only after commit. An alert whose de-duplication
// key (fingerprint, startsAt, status) is already stored is a duplicate and
// changes nothing. A new firing alert joins the open incident with its
// fingerprint or, when its environment and CI exist, opens one (source
// alertmanager); a new resolved alert resolves the open incident with its
// fingerprint. Every new firing alert is matched against the signatures of
// open and resolved problems and attributed to the deployments live in its
// environment at its start (see matchSignal). One audit event
// (signal.ingest) lists the new signals of the notification, and one
// signal.received notice carries them. Notifications that arrive while
// another is being stored are stored together in the next transaction
// (group commit, see ingestQueue); each keeps its own audit event and
// result, and if that transaction fails each is retried alone.
func (s *Store) IngestAlerts(ctx context.Context, a audit.Actor, p *alertmanager.Payload) (IngestResult, error) {
	if err := s.sigIndex().fresh(ctx, s.db); err != nil {
		return IngestResult{Received: len(p.Alerts)}, err
	}
	return s.ingestQueue().submit(ctx, s, a, p) // ingest_group.go: concurrent notifications share a commit
}

// ingestOne stores one notification in its own transaction. When a
// concurrent transaction stored one of its alerts first (PostgreSQL), it
// is stored again from the start, where that alert is now a duplicate.
func (s *Store) ingestOne(ctx context.Context, a audit.Actor, p *alertmanager.Payload) (IngestResult, error) {
	r := &ingestReq{a: a, p: p, keys: alertKeys(p)}
	var err error
	for try := 0; try < 3; try++ {
		err = s.write(ctx, a, func(tx *Tx) error { return tx.ingestReqs(ctx, s.sigIndex(), []*ingestReq{r}) })
		if !errors.Is(err, errConcurrentAlert) {
			break
		}
	}
	if err != nil {
		return IngestResult{Received: len(p.Alerts)}, err
	}
	return r.res, nil
}

// ingestReqs stores notifications in tx, each with its own actor, audit
// event, signal.received notice and result (r.res). PostgreSQL stores them
// with set-based statements when it can (ingest_batch.go); SQLite, or a
// notification that needs the alerts' order, stores alert by alert.
func (tx *Tx) ingestReqs(ctx context.Context, ix *sigIndex, reqs []*ingestReq) error {
	if tx.dialect == Postgres {
		if done, err := tx.ingestSet(ctx, ix, reqs); done || err != nil {
			return err
		}
	}
	for _, r := range reqs {
		tx.actor = r.a // audit events name the notification's own sender and request
		res, err := tx.ingestPayload(ctx, ix, r.p, r.keys)
		if err != nil {
			return err
		}
		r.res = res
	}
	return nil
}

// ingestPayload stores one notification in tx alert by alert (see
// IngestAlerts): one signal.received notice and one signal.ingest audit
// event for its new signals, none when every alert was a duplicate. keys
// are the alerts' de-duplication keys (alertKeys).
func (tx *Tx) ingestPayload(ctx context.Context, ix *sigIndex, p *alertmanager.Payload, keys []string) (IngestResult, error) {
	res := IngestResult{Received: len(p.Alerts)}
	in := newIngest([]*alertmanager.Payload{p})
	var err error
	if in.stored, err = tx.storedKeys(ctx, keys); err != nil {
		return res, err
	}
	var rows []signalRow
	for _, al := range p.Alerts {
		row, err := tx.ingestAlert(ctx, ix, in, al, &res)
		if err != nil {
			return res, err
		}
		if row.ID == 0 {
			res.Duplicates++
			continue
		}
		res.New++
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return res, nil
	}
	if err := tx.enqueue(ctx, EventSignalReceived, receivedNotice(p, rows)); err != nil {
		return res, err
	}
	return res, tx.ingestAudit(ctx, p, rows, res.Duplicates)
}

// receivedNotice is the signal.received payload of a notification's new signals.
func receivedNotice(p *alertmanager.Payload, rows []signalRow) map[string]any {
	return map[string]any{"receiver": p.Receiver, "group_key": p.GroupKey, "signals": rows}
}

// ingestAudit writes the signal.ingest event of a notification's new signals.
func (tx *Tx) ingestAudit(ctx context.Context, p *alertmanager.Payload, rows []signalRow, duplicates int) error {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return tx.auditEvent(ctx, "signal.ingest", "signal", strconv.FormatInt(ids[0], 10), 0, nil, map[string]any{
		"signals": ids, "duplicates": duplicates, "receiver": p.Receiver, "group_key": p.GroupKey})
}

// errConcurrentAlert: another transaction stored the same alert meanwhile.
var errConcurrentAlert = &fault.Error{Code: fault.Unavailable, Message: "the same alert was stored by a concurrent delivery; retry"}

// ingest is what a transaction storing notifications caches: which environments
// and CIs exist, and the deployments of each environment that any of its
// alerts may be attributed to (one query per environment, not per alert).
type ingest struct {
	stored   map[string]bool // de-duplication keys already stored (looked up once per transaction)
	refs     refCache
	from, to time.Time // earliest and latest startsAt of the alerts
	deps     map[string][]signal.Deployment
}

// dedupSQL finds which of a JSON array of de-duplication keys are stored:
// one statement per notification, with one parameter (modernc binds many
// $N parameters in quadratic time). The JSON table function is the one
// place where the two dialects need their own SQL.
var dedupSQL = map[Dialect]string{
	SQLite:   `SELECT dedup_key FROM signals WHERE dedup_key IN (SELECT value FROM json_each($1))`,
	Postgres: `SELECT dedup_key FROM signals WHERE dedup_key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
}

// alertKeys returns the de-duplication keys of p's alerts.
func alertKeys(p *alertmanager.Payload) []string {
	keys := make([]string, len(p.Alerts))
	for i, al := range p.Alerts {
		keys[i] = alertmanager.DedupKey(al)
	}
	return keys
}

// storedKeys returns which of keys are stored, in one statement.
func (tx *Tx) storedKeys(ctx context.Context, keys []string) (map[string]bool, error) {
	rows, err := tx.query(ctx, dedupSQL[tx.dialect], jsonText(keys))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// newIngest starts the cache of a transaction storing ps.
func newIngest(ps []*alertmanager.Payload) *ingest {
	in := &ingest{refs: refCache{}, deps: map[string][]signal.Deployment{}}
	first := true
	for _, p := range ps {
		for _, al := range p.Alerts {
			t := al.StartsAt.UTC()
			if first || t.Before(in.from) {
				in.from = t
			}
			if first || t.After(in.to) {
				in.to = t
			}
			first = false
		}
	}
	return in
}

// attributeIn is tx.attribute with the notification's deployments loaded once
// per environment: those that may matter to any of its alerts (a superset of
// each alert's; signal.Attribute judges each deployment at the alert's time).
func (tx *Tx) attributeIn(ctx context.Context, in *ingest, env, ci string, at time.Time, lbls map[string]string) ([]signal.Verdict, error) {
	if env == "" {
		return []signal.Verdict{}, nil
	}
	deps, ok := in.deps[env]
	if !ok {
		var err error
		if deps, err = tx.deploymentsOf(ctx, env, in.from, in.to); err != nil {
			return nil, err
		}
		in.deps[env] = deps
	}
	return attributeWith(deps, env, ci, at, lbls)
}

// signalRow is one stored signal as the outbox announces it.
type signalRow struct {
	ID          int64             `json:"id"`
	Status      string            `json:"status"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	Env         string            `json:"env"`
	CI          string            `json:"ci"`
	Incident    string            `json:"incident,omitempty"`
	Problem     string            `json:"problem,omitempty"`
	Signature   string            `json:"signature,omitempty"`
	Decision    string            `json:"decision,omitempty"`
	Deployments []signal.Verdict  `json:"deployments"`
}

// ingestAlert stores one alert; the row's ID is 0 for a duplicate.
func (tx *Tx) ingestAlert(ctx context.Context, ix *sigIndex, in *ingest, al alertmanager.Alert, res *IngestResult) (signalRow, error) {
	key := alertmanager.DedupKey(al)
	if in.stored[key] {
		return signalRow{}, nil // a resend (or the same alert twice in one notification)
	}
	in.stored[key] = true
	row := signalRow{Status: al.Status, Fingerprint: al.Fingerprint, Labels: al.Labels, StartsAt: al.StartsAt.UTC(),
		Env: SignalEnv(al.Labels), CI: SignalCI(al.Labels), Deployments: []signal.Verdict{}}
	var endsAt *time.Time
	if !al.EndsAt.IsZero() {
		endsAt = &al.EndsAt
	}
	known, err := tx.knownPlace(ctx, in.refs, row.Env, row.CI)
	if err != nil {
		return signalRow{}, err
	}
	var incID int64
	if al.Firing() {
		if incID, err = tx.signalIncident(ctx, ix, in, al, &row, known, res); err != nil {
			return signalRow{}, err
		}
	} else if incID, err = tx.resolveByFingerprint(ctx, al, res); err != nil {
		return signalRow{}, err
	}
	if incID != 0 {
		row.Incident = ident.Incident.Format(incID)
	}
	// Stored once, complete. ON CONFLICT covers a concurrent transaction
	// (PostgreSQL) that stored the same alert since the check above: this one
	// already acted on it, so it fails as transient and the resend is a duplicate.
	err = tx.queryRow(ctx, `INSERT INTO signals (dedup_key, fingerprint, status, labels, starts_at, ends_at, received_at, env, ci,
		incident_id, problem_id, signature_id, decision, deployments)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (dedup_key) DO NOTHING RETURNING id`,
		key, al.Fingerprint, al.Status, jsonText(labels.Set(al.Labels)), ts(row.StartsAt), tsp(endsAt), ts(tx.now), row.Env, row.CI,
		idArg(ident.Incident, row.Incident), idArg(ident.Problem, row.Problem), idArg(ident.Signature, row.Signature), row.Decision,
		jsonText(row.Deployments)).Scan(&row.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return signalRow{}, errConcurrentAlert
	}
	return row, err
}

// knownPlace reports whether the environment and CI both exist.
func (tx *Tx) knownPlace(ctx context.Context, refs refCache, env, ci string) (bool, error) {
	if env == "" || ci == "" {
		return false, nil
	}
	ok, err := tx.exists(ctx, refs, `SELECT COUNT(*) FROM environments WHERE name = $1`, env)
	if err != nil || !ok {
		return false, err
	}
	return tx.exists(ctx, refs, `SELECT COUNT(*) FROM cis WHERE name = $1`, ci)
}

// signalIncident handles a new firing alert: the open incident with its
// fingerprint takes it, or a new incident is opened when env and CI are
// known; the signal is matched and attributed either way.
func (tx *Tx) signalIncident(ctx context.Context, ix *sigIndex, in *ingest, al alertmanager.Alert, row *signalRow,
	known bool, res *IngestResult) (int64, error) {
	var err error
	if known {
		if row.Deployments, err = tx.attributeIn(ctx, in, row.Env, row.CI, row.StartsAt, al.Labels); err != nil {
			return 0, err
		}
	}
	m, err := tx.matchSignal(ctx, ix, al.Labels, row.StartsAt, "alert "+al.Fingerprint+" started "+row.StartsAt.Format(time.RFC3339))
	if err != nil {
		return 0, err
	}
	res.Recurrences += m.recurrences
	if m.problem != 0 {
		row.Problem, row.Signature, row.Decision = ident.Problem.Format(m.problem), ident.Signature.Format(m.sig), m.decision
	}
	var open int64
	err = tx.queryRow(ctx, `SELECT id FROM incidents WHERE fingerprint = $1 AND status = $2 ORDER BY id DESC LIMIT 1`,
		al.Fingerprint, incident.Open).Scan(&open)
	switch {
	case err == nil:
		return open, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	case !known:
		return 0, nil
	}
	inc, ok := tx.alertIncident(al, row)
	if !ok {
		return 0, nil
	}
	id, err := tx.insertID(ctx, insertSignalIncidentSQL, append(insertIncidentArgs(&inc), idArg(ident.Signature, row.Signature))...)
	if err != nil {
		return 0, err
	}
	inc.ID = ident.Incident.Format(id)
	res.IncidentsOpened++
	if err := tx.auditEvent(ctx, "incident.create", "incident", inc.ID, inc.Revision, nil, inc); err != nil {
		return 0, err
	}
	return id, tx.enqueue(ctx, EventIncidentOpened, incidentNotice(inc, row.Signature, m.decision))
}

// alertIncident is the incident a new firing alert (row) opens, stamped,
// without id; false for an alert that cannot be an incident (odd labels,
// far-future start): it is kept as a signal only.
func (tx *Tx) alertIncident(al alertmanager.Alert, row *signalRow) (incident.Incident, bool) {
	opened := row.StartsAt
	if opened.After(tx.now) { // Alertmanager's clock ahead of ours: the incident began no later than now
		opened = tx.now
	}
	inc := incident.Incident{Title: alertTitle(al), Source: incident.SourceAlertmanager, CI: row.CI, Env: row.Env,
		Severity: alertSeverity(al.Labels["severity"]), Labels: labels.Set(al.Labels), Fingerprint: al.Fingerprint,
		OpenedAt: opened}
	if inc.Validate(tx.now) != nil || inc.Init() != nil {
		return inc, false
	}
	tx.stamp(&inc)
	inc.Problem = row.Problem
	inc.Deployment = pickDeployment(row.Deployments)
	return inc, true
}

// insertSignalIncidentSQL is insertIncidentPlain with the signature that
// matched the alert; run it through tx.insertID.
var insertSignalIncidentSQL = strings.Replace(strings.Replace(insertIncidentPlain, "updated_at)", "updated_at, signature_id)", 1),
	"$17)", "$17, $18)", 1)

// resolveByFingerprint resolves the open incident with the alert's
// fingerprint at the alert's end (or now); it returns 0 when there is none.
func (tx *Tx) resolveByFingerprint(ctx context.Context, al alertmanager.Alert, res *IngestResult) (int64, error) {
	before, id, err := scanIncident(tx.queryRow(ctx, `SELECT `+incidentCols+` FROM incidents
		WHERE fingerprint = $1 AND status = $2 ORDER BY id DESC LIMIT 1`, al.Fingerprint, incident.Open))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	at := al.EndsAt
	if at.IsZero() || at.After(tx.now) {
		at = tx.now
	}
	next := before
	if err := next.Move(incident.Resolved, at); err != nil {
		return 0, err
	}
	next.Revision, next.UpdatedAt = before.Revision+1, tx.now
	if _, err := tx.exec(ctx, saveIncidentSQL, saveIncidentArgs(id, &next)...); err != nil {
		return 0, err
	}
	res.IncidentsResolved++
	return id, tx.auditEvent(ctx, "incident.resolve", "incident", next.ID, next.Revision, before, next)
}

// matchIncident matches a new incident (created through the API or imported) against
// the problem signatures, links it to the problem that matched (with the
// signature) unless it names one already, applies a recurrence, attributes
// it to a live deployment when it names none, and (notify) enqueues
// incident.opened; imports pass notify=false: their rows are history.
// in is updated in place; call it after the insert and before the audit
// event of the creation.
func (s *Store) matchIncident(ctx context.Context, tx *Tx, in *incident.Incident, id int64, notify bool) error {
	ix := s.sigIndex()
	if err := ix.fresh(ctx, tx.tx); err != nil {
		return err
	}
	sig, decision, err := tx.matchNew(ctx, ix, in, ix.match(incidentLabels(in)), nil)
	if err != nil {
		return err
	}
	if in.Problem != "" || sig != "" || in.Deployment != "" {
		if _, err := tx.exec(ctx, `UPDATE incidents SET problem_id = $1, signature_id = $2, deployment_id = $3 WHERE id = $4`,
			idArg(ident.Problem, in.Problem), idArg(ident.Signature, sig), idArg(ident.Deployment, in.Deployment), id); err != nil {
			return err
		}
	}
	if !notify {
		return nil
	}
	return tx.enqueue(ctx, EventIncidentOpened, incidentNotice(*in, sig, decision))
}

// matchNew is matchIncident without writing the incident: it applies the
// match of in (hits; states as in matchHits), sets in.Problem and
// in.Deployment, and returns the signature that linked it ("" if none) and
// the decision.
func (tx *Tx) matchNew(ctx context.Context, ix *sigIndex, in *incident.Incident, hits []hit,
	states map[int64]signal.ProblemState) (sig, decision string, err error) {
	lbls := incidentLabels(in)
	m, err := tx.matchHits(ctx, ix, hits, states, lbls, in.OpenedAt, in.ID)
	if err != nil {
		return "", "", err
	}
	if m.problem != 0 && in.Problem == "" {
		in.Problem, sig = ident.Problem.Format(m.problem), ident.Signature.Format(m.sig)
	}
	if in.Deployment == "" {
		deps, err := tx.attribute(ctx, in.Env, in.CI, in.OpenedAt, lbls)
		if err != nil {
			return "", "", err
		}
		in.Deployment = pickDeployment(deps)
	}
	return sig, m.decision, nil
}

// incidentLabels is what an incident is matched on: its labels, plus env,
// ci and service from its fields when the labels lack them.
func incidentLabels(in *incident.Incident) map[string]string {
	l := make(map[string]string, len(in.Labels)+3)
	for k, v := range in.Labels {
		l[k] = v
	}
	for k, v := range map[string]string{"env": in.Env, "ci": in.CI, "service": in.CI} {
		if _, ok := l[k]; !ok && v != "" {
			l[k] = v
		}
	}
	return l
}

func incidentNotice(in incident.Incident, sig, decision string) map[string]any {
	return map[string]any{"incident": in, "signature": sig, "decision": decision}
}

// alertTitle is the alert's summary annotation, else "ALERTNAME on CI".
func alertTitle(al alertmanager.Alert) string {
	t := strings.TrimSpace(al.Annotations["summary"])
	if t == "" {
		t = al.Labels["alertname"]
		if c := SignalCI(al.Labels); c != "" {
			t += " on " + c
		}
	}
	if t == "" {
		t = "alert " + al.Fingerprint
	}
	if len(t) > incident.MaxTitle {
		t = strings.ToValidUTF8(t[:incident.MaxTitle], "")
	}
	return t
}

// alertSeverity maps the conventional severity label to 1 (highest) … 4;
// unknown or missing values are 3.
func alertSeverity(s string) int {
	switch strings.ToLower(s) {
	case "critical", "page", "p1", "disaster", "emergency":
		return 1
	case "high", "major", "error", "p2":
		return 2
	case "info", "informational", "low", "none", "p4":
		return 4
	}
	return 3
}

// pickDeployment names the deployment an incident is attributed to when
// several are: one in progress first (a rollout under way is the likelier
// cause), else the most recent live one.
func pickDeployment(vs []signal.Verdict) string {
	var best int64
	for _, v := range vs {
		if v.Phase == signal.InProgress {
			return ident.Deployment.Format(v.DeploymentID)
		}
		best = max(best, v.DeploymentID)
	}
	if best == 0 {
		return ""
	}
	return ident.Deployment.Format(best)
}

// attribute returns the deployments a signal of env/ci that began at at is
// attributed to (signal.Attribute, 24 h window): deployments of env that
// had started by at and were unfinished, or finished no earlier than the
// window before at. A release's CIs are those of its component versions.
func (tx *Tx) attribute(ctx context.Context, env, ci string, at time.Time, lbls map[string]string) ([]signal.Verdict, error) {
	if env == "" {
		return []signal.Verdict{}, nil
	}
	if c := tx.attr; c != nil && !at.Before(c.from) && !at.After(c.to) {
		deps, ok := c.deps[env]
		if !ok {
			var err error
			if deps, err = tx.deploymentsOf(ctx, env, c.from, c.to); err != nil {
				return nil, err
			}
			c.deps[env] = deps
		}
		return attributeWith(deps, env, ci, at, lbls)
	}
	deps, err := tx.deploymentsOf(ctx, env, at, at)
	if err != nil {
		return nil, err
	}
	return attributeWith(deps, env, ci, at, lbls)
}

// attrCache holds, for one import, the deployments of each environment
// that a row opened between from and to may be attributed to (deployments
// do not change inside the import's transaction except through it, and an
// import writes none).
type attrCache struct {
	from, to time.Time
	deps     map[string][]signal.Deployment
}

// deploymentsOf returns the deployments of env that a signal that began
// between from and to may be attributed to: started by to, unfinished or
// finished no earlier than the attribution window before from.
func (tx *Tx) deploymentsOf(ctx context.Context, env string, from, to time.Time) ([]signal.Deployment, error) {
	rows, err := tx.query(ctx, `SELECT d.id, d.status, d.started_at, d.finished_at, COALESCE(cv.ci, '')
		FROM deployments d
		LEFT JOIN release_components rc ON rc.release_id = d.release_id
		LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE d.env = $1 AND d.started_at IS NOT NULL AND d.started_at <= $2 AND (d.finished_at IS NULL OR d.finished_at >= $3)
		ORDER BY d.id`, env, ts(to), ts(from.Add(-signal.DefaultAttributionWindow)))
	if err != nil {
		return nil, err
	}
	var deps []signal.Deployment
	for rows.Next() {
		var d signal.Deployment
		var c string
		if err := rows.Scan(&d.ID, &d.Status, nullTimeCol{&d.StartedAt}, nullTimeCol{&d.FinishedAt}, &c); err != nil {
			rows.Close()
			return nil, err
		}
		if n := len(deps); n > 0 && deps[n-1].ID == d.ID {
			d = deps[n-1]
			deps = deps[:n-1]
		}
		if c != "" {
			d.CIs = append(d.CIs, c)
		}
		d.Env = env
		deps = append(deps, d)
	}
	rows.Close()
	return deps, rows.Err()
}

// attributeWith applies signal.Attribute (24 h window) to deps.
func attributeWith(deps []signal.Deployment, env, ci string, at time.Time, lbls map[string]string) ([]signal.Verdict, error) {
	pol := signal.Policy{AttributionWindow: signal.DefaultAttributionWindow}
	vs, err := signal.Attribute(signal.Signal{Labels: lbls, Env: env, CI: ci, At: at}, deps, pol)
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []signal.Verdict{}
	}
	return vs, nil
}

// SignalOut is one stored signal.
type SignalOut struct {
	ID          int64             `json:"id"`
	Status      string            `json:"status"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      *time.Time        `json:"ends_at,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	Env         string            `json:"env"`
	CI          string            `json:"ci"`
	Incident    string            `json:"incident,omitempty"`
	Problem     string            `json:"problem,omitempty"`
	Signature   string            `json:"signature,omitempty"`
	Decision    string            `json:"decision,omitempty"`
	Deployments []signal.Verdict  `json:"deployments"`
}

// SignalFilter selects signals; zero fields do not filter.
type SignalFilter struct {
	Problem     int64
	Fingerprint string
	Page
}

// ListSignals returns signals in id order after f.After, at most f.Limit.
func (s *Store) ListSignals(ctx context.Context, f SignalFilter) ([]SignalOut, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Problem != 0 {
		w.add("problem_id = ?", f.Problem)
	}
	if f.Fingerprint != "" {
		w.add("fingerprint = ?", f.Fingerprint)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, status, fingerprint, labels, starts_at, ends_at, received_at, env, ci,
		incident_id, problem_id, signature_id, decision, deployments FROM signals`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list signals")
	}
	defer rows.Close()
	out := []SignalOut{}
	for rows.Next() {
		var g SignalOut
		var inc, prb, sig sql.NullInt64
		if err := rows.Scan(&g.ID, &g.Status, &g.Fingerprint, jsonCol{&g.Labels}, timeCol{&g.StartsAt}, nullTimeCol{&g.EndsAt},
			timeCol{&g.ReceivedAt}, &g.Env, &g.CI, &inc, &prb, &sig, &g.Decision, jsonCol{&g.Deployments}); err != nil {
			return nil, errf(err, "scan signal")
		}
		g.Incident, g.Problem, g.Signature = fmtRef(ident.Incident, inc), fmtRef(ident.Problem, prb), fmtRef(ident.Signature, sig)
		if g.Labels == nil {
			g.Labels = map[string]string{}
		}
		if g.Deployments == nil {
			g.Deployments = []signal.Verdict{}
		}
		out = append(out, g)
	}
	return out, errf(rows.Err(), "list signals")
}

func fmtRef(k ident.Kind, n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return k.Format(n.Int64)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
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
	// Rollbacks counts the deployments whose rollback these alerts decided
	// (deployment_signals.go).
	Rollbacks int `json:"rollbacks,omitempty"`
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
//
// A new firing alert that a watching deployment's recurrence check (its
// problem) or incidents check (the incident it opened) counts decides that
// deployment's rollback in the same transaction (deployment_signals.go):
// when IngestAlerts returns, the deployment is rolling_back, its failing
// measurement and rollback action stored, IngestResult.Rollbacks names it,
// and after commit Rollouts.Decided was told.
func (s *Store) IngestAlerts(ctx context.Context, a audit.Actor, p *alertmanager.Payload) (IngestResult, error) {
	if err := s.sigIndex().fresh(ctx, s.db); err != nil {
		return IngestResult{Received: len(p.Alerts)}, err
	}
	return s.ingestQueue().submit(ctx, s, a, p) // ingest_group.go: concurrent notifications share a commit
}

// ingestOne stores one notification in its own transaction. When a
// concurrent transaction stored one of its alerts first (PostgreSQL), it
// is stored again from the start, where that alert is now a duplicate.
func (s *Store) ingestOne(ctx context.Context, r *ingestReq) (IngestResult, error) {
	var err error
	for try := 0; try < 3; try++ {
		err = s.write(ctx, r.a, func(tx *Tx) error { return tx.ingestReqs(ctx, s.sigIndex(), []*ingestReq{r}) })
		if !errors.Is(err, errConcurrentAlert) {
			break
		}
	}
	if err != nil {
		return IngestResult{Received: len(r.p.Alerts)}, err
	}
	return r.res, nil
}

// ingestReqs stores notifications in tx alert by alert, each with its own
// actor, audit event, signal.received notice and result (r.res).
func (tx *Tx) ingestReqs(ctx context.Context, ix *sigIndex, reqs []*ingestReq) error {
	for _, r := range reqs {
		tx.actor = r.a // audit events name the notification's own sender and request
		tx.pol, tx.arrived = r.pol, r.arrived
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
	opened := res.IncidentsOpened
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
	if err != nil || !al.Firing() {
		return row, err
	}
	decided, err := tx.signalRollbacks(ctx, row, res.IncidentsOpened > opened)
	res.Rollbacks += len(decided)
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

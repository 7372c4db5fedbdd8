package store

import (
	"context"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/signal"
)

// The set-based ingest path (PostgreSQL). There every statement is a
// network round trip, and storing alerts one by one took ~5 per alert. Here
// the notifications of a transaction (one, or a group: see ingestQueue) read
// what their alerts need in a few statements (stored keys, problem states,
// open incidents, deployments per environment), every alert is decided in
// memory in order, then one INSERT per table writes them: incidents,
// signals, outbox. Rows travel as one JSON array parameter
// (json_to_recordset), the pattern of the de-duplication lookup. SQLite
// keeps the per-row path with its prepared statements (modernc binds many
// $N parameters in quadratic time, and SQLite pays no round trip).
// Recurrences (rare) are written one by one while deciding, so their audit
// events and problem.recurred notices come before the incident.create events
// and incident.opened notices, which keep the alerts' order.

// setBased reports whether notifications can take the set-based path: not
// when a new resolved alert and a new firing alert share a fingerprint (their
// order decides which incident the firing one joins; the per-row path
// follows it).
func setBased(reqs []*ingestReq, stored map[string]bool) bool {
	firing, resolved := map[string]bool{}, map[string]bool{}
	for _, r := range reqs {
		for i, al := range r.p.Alerts {
			if stored[r.keys[i]] {
				continue
			}
			if al.Firing() {
				firing[al.Fingerprint] = true
			} else {
				resolved[al.Fingerprint] = true
			}
		}
	}
	for fp := range resolved {
		if firing[fp] {
			return false
		}
	}
	return true
}

// setBatch is what ingestSet knows while deciding the alerts.
type setBatch struct {
	states map[int64]signal.ProblemState // problems the alerts match, read ahead
	open   map[string]int64              // fingerprint → open incident stored before
	opened []setIncident                 // incidents the alerts open, in order
	byFP   map[string]int                // fingerprint → index in opened
	rows   []setSignal                   // new signals, in order
}

type setIncident struct {
	inc      incident.Incident
	sig      string // signature that matched
	decision string // and the decision for its problem
	req      int    // notification index
}

type setSignal struct {
	row  signalRow
	key  string
	end  any // ends_at
	join int // 1 + index in opened of its incident when opened here, else 0
	req  int // notification index
}

// ingestSet stores reqs' alerts not stored yet (see IngestAlerts) with
// set-based statements and sets each r.res. It reports false, having
// written nothing, when the alerts need the per-row path (see setBased).
func (tx *Tx) ingestSet(ctx context.Context, ix *sigIndex, reqs []*ingestReq) (bool, error) {
	var keys []string
	ps := make([]*alertmanager.Payload, len(reqs))
	for i, r := range reqs {
		keys, ps[i] = append(keys, r.keys...), r.p
	}
	stored, err := tx.storedKeys(ctx, keys)
	if err != nil || !setBased(reqs, stored) {
		return false, err
	}
	in := newIngest(ps)
	in.stored = stored
	type newAlert struct {
		al   alertmanager.Alert
		req  int
		hits []hit
	}
	var news []newAlert
	var fps []string
	for i, r := range reqs {
		r.res = IngestResult{Received: len(r.p.Alerts)}
		for k, al := range r.p.Alerts {
			key := r.keys[k]
			if in.stored[key] {
				r.res.Duplicates++ // a resend (or the same alert twice in the notifications)
				continue
			}
			in.stored[key] = true
			a := newAlert{al: al, req: i}
			if al.Firing() {
				a.hits, fps = ix.match(al.Labels), append(fps, al.Fingerprint)
			}
			news = append(news, a)
		}
	}
	if len(news) == 0 {
		return true, nil // resends only
	}
	b := &setBatch{byFP: map[string]int{}}
	hits := make([][]hit, len(news))
	for i, a := range news {
		hits[i] = a.hits
	}
	if b.states, err = tx.problemStates(ctx, hits); err != nil {
		return true, err
	}
	if b.open, err = tx.openIncidents(ctx, fps); err != nil {
		return true, err
	}
	for _, a := range news {
		tx.actor = reqs[a.req].a
		if err := tx.setAlert(ctx, ix, in, b, a.al, a.hits, a.req, &reqs[a.req].res); err != nil {
			return true, err
		}
	}
	return true, tx.setWrite(ctx, reqs, b)
}

// setAlert decides one new alert, as ingestAlert does, without writing it.
func (tx *Tx) setAlert(ctx context.Context, ix *sigIndex, in *ingest, b *setBatch, al alertmanager.Alert, hits []hit,
	req int, res *IngestResult) error {
	row := signalRow{Status: al.Status, Fingerprint: al.Fingerprint, Labels: al.Labels, StartsAt: al.StartsAt.UTC(),
		Env: SignalEnv(al.Labels), CI: SignalCI(al.Labels), Deployments: []signal.Verdict{}}
	known, err := tx.knownPlace(ctx, in.refs, row.Env, row.CI)
	if err != nil {
		return err
	}
	join := 0
	if al.Firing() {
		if join, err = tx.setFiring(ctx, ix, in, b, al, hits, &row, known, req, res); err != nil {
			return err
		}
	} else {
		id, err := tx.resolveByFingerprint(ctx, al, res)
		if err != nil {
			return err
		}
		if id != 0 {
			row.Incident = ident.Incident.Format(id)
		}
	}
	var end any
	if !al.EndsAt.IsZero() {
		end = ts(al.EndsAt)
	}
	b.rows = append(b.rows, setSignal{row: row, key: alertmanager.DedupKey(al), end: end, join: join, req: req})
	return nil
}

// setFiring is signalIncident for the set-based path: the incident the
// alert joins is one stored before (row.Incident set) or one opened earlier
// in the batch, else it opens one when env and CI are known. It returns
// 1 + the index in b.opened of the incident joined or opened, 0 if none.
func (tx *Tx) setFiring(ctx context.Context, ix *sigIndex, in *ingest, b *setBatch, al alertmanager.Alert, hits []hit,
	row *signalRow, known bool, req int, res *IngestResult) (int, error) {
	var err error
	if known {
		if row.Deployments, err = tx.attributeIn(ctx, in, row.Env, row.CI, row.StartsAt, al.Labels); err != nil {
			return 0, err
		}
	}
	m, err := tx.matchHits(ctx, ix, hits, b.states, al.Labels, row.StartsAt, "alert "+al.Fingerprint+" started "+row.StartsAt.Format(time.RFC3339))
	if err != nil {
		return 0, err
	}
	res.Recurrences += m.recurrences
	if m.problem != 0 {
		row.Problem, row.Signature, row.Decision = ident.Problem.Format(m.problem), ident.Signature.Format(m.sig), m.decision
	}
	if id, ok := b.open[al.Fingerprint]; ok {
		row.Incident = ident.Incident.Format(id)
		return 0, nil
	}
	if k, ok := b.byFP[al.Fingerprint]; ok {
		return k + 1, nil
	}
	if !known {
		return 0, nil
	}
	inc, ok := tx.alertIncident(al, row)
	if !ok {
		return 0, nil
	}
	b.opened = append(b.opened, setIncident{inc: inc, sig: row.Signature, decision: m.decision, req: req})
	b.byFP[al.Fingerprint] = len(b.opened) - 1
	return len(b.opened), nil
}

// setWrite inserts the new incidents, then the signals (which name them),
// then the outbox rows, with the audit events of each notification in turn.
// A signal stored meanwhile by a concurrent transaction fails them all as
// errConcurrentAlert, like the per-row path.
func (tx *Tx) setWrite(ctx context.Context, reqs []*ingestReq, b *setBatch) error {
	if len(b.opened) == 0 && len(b.rows) == 0 {
		return nil
	}
	incs, sigs := make([]incident.Incident, len(b.opened)), make([]string, len(b.opened))
	for k, o := range b.opened {
		incs[k], sigs[k] = o.inc, o.sig
	}
	ids, err := tx.newIDs(ctx, "incidents", len(incs))
	if err != nil {
		return err
	}
	for k := range b.opened {
		b.opened[k].inc.ID = ident.Incident.Format(ids[k])
		incs[k].ID = b.opened[k].inc.ID
	}
	if err := tx.insertIncidents(ctx, incs, sigs); err != nil {
		return err
	}
	for i := range b.rows {
		if j := b.rows[i].join; j != 0 {
			b.rows[i].row.Incident = b.opened[j-1].inc.ID
		}
	}
	if err := tx.insertSignals(ctx, b.rows); err != nil {
		return err
	}
	var notices []notice
	for ri, r := range reqs {
		tx.actor = r.a
		for _, o := range b.opened {
			if o.req != ri {
				continue
			}
			if err := tx.auditEvent(ctx, "incident.create", "incident", o.inc.ID, o.inc.Revision, nil, o.inc); err != nil {
				return err
			}
			r.res.IncidentsOpened++
			notices = append(notices, notice{EventIncidentOpened, incidentNotice(o.inc, o.sig, o.decision)})
		}
		var rows []signalRow
		for _, g := range b.rows {
			if g.req == ri {
				rows = append(rows, g.row)
			}
		}
		if r.res.New = len(rows); len(rows) == 0 {
			continue
		}
		notices = append(notices, notice{EventSignalReceived, receivedNotice(r.p, rows)})
		if err := tx.ingestAudit(ctx, r.p, rows, r.res.Duplicates); err != nil {
			return err
		}
	}
	return tx.enqueueAll(ctx, notices)
}

// openIncidents returns the newest open incident of each fingerprint, in one query.
func (tx *Tx) openIncidents(ctx context.Context, fps []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(fps) == 0 {
		return out, nil
	}
	rows, err := tx.query(ctx, `SELECT DISTINCT ON (fingerprint) fingerprint, id FROM incidents
		WHERE fingerprint IN (SELECT jsonb_array_elements_text($1::jsonb)) AND status = $2
		ORDER BY fingerprint, id DESC`, jsonText(fps), incident.Open)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var id int64
		if err := rows.Scan(&fp, &id); err != nil {
			return nil, err
		}
		out[fp] = id
	}
	return out, rows.Err()
}

// insertSignalsSQL stores a JSON array of signals; received_at is $2.
const insertSignalsSQL = `INSERT INTO signals (dedup_key, fingerprint, status, labels, starts_at, ends_at, received_at, env, ci,
		incident_id, problem_id, signature_id, decision, deployments)
	SELECT r.dedup_key, r.fingerprint, r.status, r.labels, r.starts_at, r.ends_at, $2::timestamptz, r.env, r.ci,
		r.incident_id, r.problem_id, r.signature_id, r.decision, r.deployments
	FROM json_to_recordset($1::json) AS r(i int, dedup_key text, fingerprint text, status text, labels text,
		starts_at timestamptz, ends_at timestamptz, env text, ci text, incident_id bigint, problem_id bigint,
		signature_id bigint, decision text, deployments text)
	ORDER BY r.i
	ON CONFLICT (dedup_key) DO NOTHING RETURNING id, dedup_key`

// insertSignals stores signals in one statement and sets their ids.
func (tx *Tx) insertSignals(ctx context.Context, sigs []setSignal) error {
	type rec struct {
		I           int    `json:"i"`
		Key         string `json:"dedup_key"`
		Fingerprint string `json:"fingerprint"`
		Status      string `json:"status"`
		Labels      string `json:"labels"`
		StartsAt    string `json:"starts_at"`
		EndsAt      any    `json:"ends_at"`
		Env         string `json:"env"`
		CI          string `json:"ci"`
		Incident    any    `json:"incident_id"`
		Problem     any    `json:"problem_id"`
		Signature   any    `json:"signature_id"`
		Decision    string `json:"decision"`
		Deployments string `json:"deployments"`
	}
	recs := make([]rec, len(sigs))
	at := make(map[string]int, len(sigs))
	for i, g := range sigs {
		r := &g.row
		recs[i] = rec{i, g.key, r.Fingerprint, r.Status, jsonText(labels.Set(r.Labels)), ts(r.StartsAt), g.end, r.Env, r.CI,
			idArg(ident.Incident, r.Incident), idArg(ident.Problem, r.Problem), idArg(ident.Signature, r.Signature), r.Decision,
			jsonText(r.Deployments)}
		at[g.key] = i
	}
	if len(sigs) == 0 {
		return nil
	}
	rows, err := tx.query(ctx, insertSignalsSQL, jsonText(recs), ts(tx.now))
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return err
		}
		sigs[at[key]].row.ID = id
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n != len(sigs) {
		return errConcurrentAlert // ON CONFLICT skipped one: a concurrent transaction stored it since storedKeys
	}
	return nil
}

// insertIncidentsSQL stores a JSON array of new incidents, ids included (PostgreSQL).
const insertIncidentsSQL = `INSERT INTO incidents (id, external_id, title, source, ci, env, severity, status, labels, fingerprint,
		opened_at, resolved_at, problem_id, deployment_id, rev, created_by, created_at, updated_at, signature_id)
	SELECT r.id, r.external_id, r.title, r.source, r.ci, r.env, r.severity, r.status, r.labels, r.fingerprint,
		r.opened_at, r.resolved_at, r.problem_id, r.deployment_id, r.rev, r.created_by, r.created_at, r.updated_at, r.signature_id
	FROM json_to_recordset($1::json) AS r(id bigint, external_id text, title text, source text, ci text, env text, severity int,
		status text, labels text, fingerprint text, opened_at timestamptz, resolved_at timestamptz, problem_id bigint,
		deployment_id bigint, rev bigint, created_by text, created_at timestamptz, updated_at timestamptz, signature_id bigint)
	ORDER BY r.id`

// insertIncidents stores new incidents whose ID is set (newIDs) in one
// statement (PostgreSQL); sigs[k] is the signature that matched incs[k], ""
// for none.
func (tx *Tx) insertIncidents(ctx context.Context, incs []incident.Incident, sigs []string) error {
	if len(incs) == 0 {
		return nil
	}
	type rec struct {
		ID         any    `json:"id"`
		ExternalID any    `json:"external_id"`
		Title      string `json:"title"`
		Source     string `json:"source"`
		CI         string `json:"ci"`
		Env        string `json:"env"`
		Severity   int    `json:"severity"`
		Status     string `json:"status"`
		Labels     string `json:"labels"`
		FP         string `json:"fingerprint"`
		OpenedAt   string `json:"opened_at"`
		ResolvedAt any    `json:"resolved_at"`
		Problem    any    `json:"problem_id"`
		Deployment any    `json:"deployment_id"`
		Rev        int64  `json:"rev"`
		CreatedBy  string `json:"created_by"`
		CreatedAt  string `json:"created_at"`
		UpdatedAt  string `json:"updated_at"`
		Signature  any    `json:"signature_id"`
	}
	recs := make([]rec, len(incs))
	for k := range incs {
		i := &incs[k]
		recs[k] = rec{idArg(ident.Incident, i.ID), nullText(i.ExternalID), i.Title, i.Source, i.CI, i.Env, i.Severity, i.Status,
			jsonText(i.Labels), i.Fingerprint, ts(i.OpenedAt), tsp(i.ResolvedAt), idArg(ident.Problem, i.Problem),
			idArg(ident.Deployment, i.Deployment), i.Revision, i.CreatedBy, ts(i.CreatedAt), ts(i.UpdatedAt), idArg(ident.Signature, sigs[k])}
	}
	_, err := tx.exec(ctx, insertIncidentsSQL, jsonText(recs))
	return err
}

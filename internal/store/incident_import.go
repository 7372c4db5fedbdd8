package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/signal"
)

// ImportIncidents upserts rows by external_id in one transaction: a new
// external id creates an incident (source "import" unless set), a known one
// updates it to the row (the source system is the truth for its fields; an
// empty problem or deployment keeps fixgate's link, an empty opened_at keeps
// the stored one), and a row that changes nothing is skipped. A row is
// resolved when it carries resolved_at or status "resolved", else open;
// status changes go through the lifecycle. Each created or updated row
// writes one audit event. A created incident is matched against the problem
// signatures and attributed exactly like one created through the API
// (matchIncident); an updated one is not matched again. Invalid rows (external_id is required) are
// reported in rowErrs by index and do not stop the others; err is set, and
// nothing is written, only when the database fails.
func (s *Store) ImportIncidents(ctx context.Context, a audit.Actor, rows []incident.Incident) (created, updated, skipped int, rowErrs map[int]error, err error) {
	done := false
	return s.ImportIncidentBatches(ctx, a, func() ([]incident.Incident, error) {
		if done {
			return nil, nil
		}
		done = true
		return rows, nil
	})
}

// ImportIncidentBatches is ImportIncidents over rows that next delivers in
// batches (an empty batch ends them), so that a caller streaming a large
// import holds one batch at a time: still one transaction, each batch
// written before the next is asked for. rowErrs are keyed by the row's index
// across all batches. An error from next fails the import (nothing written).
func (s *Store) ImportIncidentBatches(ctx context.Context, a audit.Actor, next func() ([]incident.Incident, error)) (created, updated, skipped int, rowErrs map[int]error, err error) {
	rowErrs = map[int]error{}
	err = s.write(ctx, a, func(tx *Tx) error {
		im, err := tx.newImporter(ctx)
		if err != nil {
			return err
		}
		defer im.close()
		im.known = map[string]bool{}
		for offset := 0; ; {
			rows, err := next()
			if err != nil || len(rows) == 0 {
				return err
			}
			c, u, sk, err := im.batch(ctx, rows, offset, rowErrs)
			if err != nil {
				return err
			}
			created, updated, skipped, offset = created+c, updated+u, skipped+sk, offset+len(rows)
		}
	})
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return created, updated, skipped, rowErrs, nil
}

// batch imports rows (the first at index offset) and writes them with
// their audit events.
func (im *importer) batch(ctx context.Context, rows []incident.Incident, offset int, rowErrs map[int]error) (created, updated, skipped int, err error) {
	im.tx.attr = importSpan(rows)
	stored, err := im.tx.storedExternalIDs(ctx, rows)
	if err != nil {
		return 0, 0, 0, err
	}
	for id := range stored {
		im.known[id] = true
	}
	for n := range rows {
		res, err := im.row(ctx, rows[n])
		switch {
		case err != nil && fault.As(err) != nil && fault.CodeOf(err) != fault.Internal:
			rowErrs[offset+n] = err
		case err != nil:
			return 0, 0, 0, err
		case res == "created":
			created++
		case res == "updated":
			updated++
		default:
			skipped++
		}
	}
	if err := im.flush(ctx); err != nil { // under this batch's attribution span
		return 0, 0, 0, err
	}
	// Chain the batch's audit events now (still this transaction), so that
	// memory holds one batch's events, not the whole import's.
	return created, updated, skipped, im.tx.flushAudit(ctx)
}

// importer holds the prepared statements and reference cache of one import.
type importer struct {
	tx          *Tx
	refs        refCache
	byExt, save *sql.Stmt
	// known holds the batch's external ids that may exist: those stored
	// before the import (one query) and those it created; others need no
	// per-row lookup.
	known map[string]bool
	// pending holds created rows not written yet (PostgreSQL, see flush),
	// and pendingExt their external ids.
	pending    []incident.Incident
	pendingExt map[string]bool
}

// importChunk bounds the rows of one set-based INSERT of an import.
const importChunk = 1000

func (tx *Tx) newImporter(ctx context.Context) (*importer, error) {
	im := &importer{tx: tx, refs: refCache{}, pendingExt: map[string]bool{}}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{{&im.byExt, `SELECT ` + incidentCols + ` FROM incidents WHERE external_id = $1` + tx.forUpdate()},
		{&im.save, saveIncidentSQL}} {
		st, err := tx.tx.PrepareContext(ctx, p.q)
		if err != nil {
			im.close()
			return nil, err
		}
		*p.st = st
	}
	return im, nil
}

func (im *importer) close() {
	for _, st := range []*sql.Stmt{im.byExt, im.save} {
		if st != nil {
			st.Close()
		}
	}
}

// row imports one row and says whether it was "created", "updated" or
// "skipped". Errors carrying a fault code other than Internal are the row's.
func (im *importer) row(ctx context.Context, r incident.Incident) (string, error) {
	tx := im.tx
	if r.ExternalID == "" {
		return "", fault.Field("external_id", "is required to import (re-imports match on it)")
	}
	if r.Status != "" && !incident.Machine.Known(r.Status) {
		return "", fault.Field("status", "unknown incident state %q", r.Status)
	}
	wantResolved := r.ResolvedAt != nil || r.Status == incident.Resolved
	if r.Source == "" {
		r.Source = incident.SourceImport
	}
	var old incident.Incident
	var id int64
	found := false
	if im.pendingExt[r.ExternalID] { // created earlier in this import: write it before reading it
		if err := im.flush(ctx); err != nil {
			return "", err
		}
	}
	if im.known[r.ExternalID] {
		var err error
		old, id, err = scanIncident(im.byExt.QueryRowContext(ctx, r.ExternalID))
		found = err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", fault.Wrap(err, "look up external id")
		}
	}
	if found {
		if r.OpenedAt.IsZero() {
			r.OpenedAt = old.OpenedAt
		}
		if r.Problem == "" {
			r.Problem = old.Problem
		}
		if r.Deployment == "" {
			r.Deployment = old.Deployment
		}
	}
	if err := r.Validate(tx.now); err != nil {
		return "", err
	}
	if err := tx.incidentRefs(ctx, im.refs, &r); err != nil {
		return "", fault.Wrap(err, "check references")
	}
	if !found {
		return "created", im.create(ctx, r, wantResolved)
	}
	return im.update(ctx, id, old, r, wantResolved)
}

func (im *importer) create(ctx context.Context, r incident.Incident, wantResolved bool) error {
	tx := im.tx
	if wantResolved && r.ResolvedAt == nil {
		r.ResolvedAt = &tx.now
	}
	if err := r.Init(); err != nil {
		return err
	}
	tx.stamp(&r)
	if tx.dialect == Postgres {
		im.known[r.ExternalID], im.pendingExt[r.ExternalID] = true, true
		im.pending = append(im.pending, r)
		if len(im.pending) >= importChunk {
			return im.flush(ctx)
		}
		return nil
	}
	id, err := tx.insertID(ctx, insertIncidentPlain, insertIncidentArgs(&r)...)
	if err != nil {
		return fault.Wrap(err, "insert incident")
	}
	r.ID = ident.Incident.Format(id)
	im.known[r.ExternalID] = true
	// Matched like an incident created through the API: signatures (link,
	// recurrence) and attribution; but not announced (incident.opened):
	// imported rows are history from another service desk.
	if err := tx.store.matchIncident(ctx, tx, &r, id, false); err != nil {
		// never a row error: the row is half written, so the import fails
		return &fault.Error{Code: fault.Internal, Message: "match incident " + r.ID, Err: err}
	}
	return fault.Wrap(tx.auditEvent(ctx, "incident.import", "incident", r.ID, r.Revision, nil, r), "audit")
}

func (im *importer) update(ctx context.Context, id int64, old, r incident.Incident, wantResolved bool) (string, error) {
	tx := im.tx
	next := old
	next.Title, next.Source, next.CI, next.Env, next.Severity = r.Title, r.Source, r.CI, r.Env, r.Severity
	next.Labels, next.Fingerprint, next.OpenedAt, next.Problem, next.Deployment = r.Labels, r.Fingerprint, r.OpenedAt, r.Problem, r.Deployment
	switch {
	case wantResolved && next.Status == incident.Open:
		at := tx.now
		if r.ResolvedAt != nil {
			at = *r.ResolvedAt
		}
		if err := next.Move(incident.Resolved, at); err != nil {
			return "", err
		}
	case wantResolved && r.ResolvedAt != nil:
		next.ResolvedAt = r.ResolvedAt
	case !wantResolved && next.Status == incident.Resolved:
		if err := next.Move(incident.Open, tx.now); err != nil {
			return "", err
		}
	}
	if encodeJSON(next) == encodeJSON(old) {
		return "skipped", nil
	}
	next.Revision, next.UpdatedAt = old.Revision+1, tx.now
	res, err := im.save.ExecContext(ctx, saveIncidentArgs(id, &next)...)
	if err != nil {
		return "", fault.Wrap(err, "update incident")
	}
	if err := casDone(res, "incident "+old.ID, old.Revision); err != nil {
		return "", err
	}
	return "updated", fault.Wrap(tx.auditEvent(ctx, "incident.import.update", "incident", next.ID, next.Revision, old, next), "audit")
}

// flush writes the pending created rows (PostgreSQL, where each statement
// is a round trip): their ids taken in one statement, each matched and
// attributed in order exactly as create does on SQLite (recurrences, rare,
// are written as they happen), then one INSERT for all of them. Their
// audit events keep the rows' order.
func (im *importer) flush(ctx context.Context) error {
	tx, rows := im.tx, im.pending
	if len(rows) == 0 {
		return nil
	}
	im.pending = nil
	clear(im.pendingExt)
	ix := tx.store.sigIndex()
	if err := ix.fresh(ctx, tx.tx); err != nil {
		return err
	}
	ids, err := tx.newIDs(ctx, "incidents", len(rows))
	if err != nil {
		return fault.Wrap(err, "take incident ids")
	}
	hits := make([][]hit, len(rows))
	for k := range rows {
		rows[k].ID, hits[k] = ident.Incident.Format(ids[k]), ix.match(incidentLabels(&rows[k]))
	}
	states, err := tx.problemStates(ctx, hits)
	if err != nil {
		return fault.Wrap(err, "read matched problems")
	}
	sigs := make([]string, len(rows))
	for k := range rows {
		r := &rows[k]
		if sigs[k], _, err = tx.matchNew(ctx, ix, r, hits[k], states); err != nil {
			return &fault.Error{Code: fault.Internal, Message: "match incident " + r.ID, Err: err}
		}
		if err := tx.auditEvent(ctx, "incident.import", "incident", r.ID, r.Revision, nil, *r); err != nil {
			return fault.Wrap(err, "audit")
		}
	}
	return fault.Wrap(tx.insertIncidents(ctx, rows, sigs), "insert incidents")
}

// importSpan returns an attribution cache spanning the rows' opened_at
// times, or nil when no row carries one.
func importSpan(rows []incident.Incident) *attrCache {
	var c *attrCache
	for _, r := range rows {
		if r.OpenedAt.IsZero() {
			continue
		}
		if c == nil {
			c = &attrCache{from: r.OpenedAt, to: r.OpenedAt, deps: map[string][]signal.Deployment{}}
		}
		c.from, c.to = minTime(c.from, r.OpenedAt), maxTime(c.to, r.OpenedAt)
	}
	return c
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// externalIDsSQL finds which of a JSON array of external ids are stored
// (the JSON table function differs between the dialects).
var externalIDsSQL = map[Dialect]string{
	SQLite:   `SELECT external_id FROM incidents WHERE external_id IN (SELECT value FROM json_each($1))`,
	Postgres: `SELECT external_id FROM incidents WHERE external_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
}

// storedExternalIDs returns which of the rows' external ids are already
// stored, in one query (the ids travel as one JSON parameter: modernc binds
// many $N parameters in quadratic time).
func (tx *Tx) storedExternalIDs(ctx context.Context, rows []incident.Incident) (map[string]bool, error) {
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.ExternalID != "" {
			ids = append(ids, r.ExternalID)
		}
	}
	known := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return known, nil
	}
	res, err := tx.query(ctx, externalIDsSQL[tx.dialect], jsonText(ids))
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		known[id] = true
	}
	return known, res.Err()
}

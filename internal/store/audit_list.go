package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// AuditFilter selects audit events for ListAuditEvents; zero fields do not
// filter. RecordID needs RecordType.
type AuditFilter struct {
	RecordType string
	RecordID   string
	Actor      string
	Action     string
	From, To   time.Time // From <= at < To
	// Before is the cursor: only events older than event Before (by at,
	// then seq) are listed; 0 starts at the newest.
	Before int64
	Limit  int // 1..MaxLimit (default 50)
}

// AuditScan bounds the events one page reads when it combines filters
// that each select more than AuditScan events (see ListAuditPage).
var AuditScan = 2000 // a variable for tests

// AuditPage is one page of the audit log.
type AuditPage struct {
	Events []audit.Event
	// Next is the cursor of the following page (AuditFilter.Before), 0
	// when there is none.
	Next int64
	// Bounded is set when the page stopped after reading AuditScan events
	// of its Driver filter ("actor", "action" or "record_type"), back to
	// ReadTo, with fewer than Limit of them matching the other filters:
	// Next reads on from there.
	Bounded bool
	Driver  string
	ReadTo  time.Time
}

// ListAuditEvents returns the events of ListAuditPage's page, without the
// cursor.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	p, err := s.ListAuditPage(ctx, f)
	return p.Events, err
}

// ListAuditPage returns the events f selects, newest first (at
// descending, then seq descending), at most f.Limit. Every filter has an
// index ending in (at, seq) (migrations 00026, 00030): a record (type and
// id), a record type, an actor, an action, the time range alone. One
// filter (a record counts as one, and the time range goes with any) reads
// at most Limit index entries past the cursor. With several of record,
// record type, actor and action, each in turn is looked up for its
// AuditScan-th event in the range (its index alone); the first that has
// none (it selects fewer) drives the page through its index, the others
// are checked on its rows: exact, at most AuditScan events read. When
// every filter selects more, the one whose AuditScan-th event is the
// oldest drives and the page reads its events down to that one only: it
// may end with fewer than Limit matches (Bounded) and Next goes on from
// there. A combination no index holds never makes one page read the
// whole history.
func (s *Store) ListAuditPage(ctx context.Context, f AuditFilter) (AuditPage, error) {
	f.Limit = Page{Limit: f.Limit}.Norm().Limit
	if f.RecordID != "" && f.RecordType == "" {
		return AuditPage{}, fault.Field("record_type", "is required with a record id")
	}
	page, err := s.auditPage(ctx, f) // no transaction: on SQLite it would take the write lock
	return page, errf(err, "list audit events")
}

// auditCond is one filter of an audit page that has its index: a name
// ("record", "record_type", "actor", "action"), its columns and values.
type auditCond struct {
	name string
	cols []string
	vals []string
}

func (s *Store) auditPage(ctx context.Context, f AuditFilter) (AuditPage, error) {
	var conds []auditCond // the filters that each have their index
	if f.RecordID != "" {
		conds = append(conds, auditCond{"record", []string{"record_type", "record_id"}, []string{f.RecordType, f.RecordID}})
	} else if f.RecordType != "" {
		conds = append(conds, auditCond{"record_type", []string{"record_type"}, []string{f.RecordType}})
	}
	if f.Actor != "" {
		conds = append(conds, auditCond{"actor", []string{"actor"}, []string{f.Actor}})
	}
	if f.Action != "" {
		conds = append(conds, auditCond{"action", []string{"action"}, []string{f.Action}})
	}
	var page AuditPage
	drive, cut, cutAt := 0, int64(0), time.Time{}
	if len(conds) > 1 {
		var err error
		if drive, cut, cutAt, err = s.auditDriver(ctx, f, conds); err != nil {
			return page, err
		}
	}
	var w filter
	for i, c := range conds {
		// SQLite has no statistics to choose an index by: "+col" keeps it off the other filters' indexes
		addAuditCond(&w, c, i != drive && s.dialect == SQLite)
	}
	addAuditRange(&w, f)
	if cut > 0 { // down to the driving filter's AuditScan-th event, included
		p := w.next(cut)
		w.conds = append(w.conds, `(at, seq) >= ((SELECT c.at FROM audit_events c WHERE c.seq = `+p+`), `+p+`)`)
	}
	evs, err := auditEvents(ctx, s.db, `SELECT `+auditCols+` FROM audit_events`+w.where()+` ORDER BY at DESC, seq DESC LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return page, err
	}
	page.Events = evs
	switch {
	case len(evs) == f.Limit:
		page.Next = evs[len(evs)-1].Seq
	case cut > 0:
		page.Next, page.Bounded, page.Driver, page.ReadTo = cut, true, conds[drive].name, cutAt
	}
	return page, nil
}

// addAuditCond adds a filter's equalities; off its index when offIndex.
func addAuditCond(w *filter, c auditCond, offIndex bool) {
	for i, col := range c.cols { // col is one of auditPage's literals
		if offIndex {
			col = "+" + col
		}
		w.add(col+" = ?", c.vals[i])
	}
}

// addAuditRange adds the time range and the cursor.
func addAuditRange(w *filter, f AuditFilter) {
	if !f.From.IsZero() {
		w.add("at >= ?", ts(f.From))
	}
	if !f.To.IsZero() {
		w.add("at < ?", ts(f.To))
	}
	if f.Before > 0 { // a row value: the index range starts at the cursor, even among events of one transaction (one at)
		p := w.next(f.Before)
		w.conds = append(w.conds, `(at, seq) < ((SELECT c.at FROM audit_events c WHERE c.seq = `+p+`), `+p+`)`)
	}
}

// auditDriver looks up, for each filter in turn, its AuditScan-th event in
// the range (through its index alone) and returns the first filter that
// has none (it selects fewer: cut 0); or else the filter whose AuditScan-th
// event is the oldest, with that event's seq and time as cut: its
// AuditScan events reach furthest back, so a page driven by it covers the
// longest time.
func (s *Store) auditDriver(ctx context.Context, f AuditFilter, conds []auditCond) (drive int, cut int64, oldest time.Time, err error) {
	for i, c := range conds {
		var w filter
		addAuditCond(&w, c, false)
		addAuditRange(&w, f)
		var seq int64
		var at time.Time
		err := s.db.QueryRowContext(ctx, `SELECT seq, at FROM audit_events`+w.where()+` ORDER BY at DESC, seq DESC LIMIT 1 OFFSET `+
			w.next(AuditScan-1), w.args...).Scan(&seq, timeCol{&at})
		if errors.Is(err, sql.ErrNoRows) {
			return i, 0, time.Time{}, nil
		}
		if err != nil {
			return 0, 0, time.Time{}, err
		}
		if cut == 0 || at.Before(oldest) || at.Equal(oldest) && seq < cut {
			drive, cut, oldest = i, seq, at
		}
	}
	return drive, cut, oldest, nil
}

// auditEvents runs a query of auditCols.
func auditEvents(ctx context.Context, db rowsQuerier, q string, args ...any) ([]audit.Event, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, auditAtCol{&e.At, &e.AtText}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditHead is the chain's head as stored: the number of events and the
// hash of the last one. Reading it costs one row; it says nothing about
// whether the chain verifies (VerifyAudit does).
type AuditHead struct {
	Size int64
	Hash string
}

// ReadAuditHead returns the chain's head.
func (s *Store) ReadAuditHead(ctx context.Context) (AuditHead, error) {
	var h AuditHead
	err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&h.Size, &h.Hash)
	return h, errf(err, "read audit head")
}

// CheckpointInfo is the latest signed checkpoint kept: the tree size it
// covers, when it was stored and its signed note (C2SP format).
type CheckpointInfo struct {
	Size      int64
	CreatedAt time.Time
	Note      string
}

// LatestCheckpointInfo returns the largest checkpoint kept; NotFound when
// none was signed yet (see LatestCheckpoint).
func (s *Store) LatestCheckpointInfo(ctx context.Context) (CheckpointInfo, error) {
	var c CheckpointInfo
	err := s.db.QueryRowContext(ctx, `SELECT size, created_at, note FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).
		Scan(&c.Size, timeCol{&c.CreatedAt}, &c.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fault.NotFoundf("no audit checkpoint signed yet (the server signs them with --audit-key)")
	}
	return c, errf(err, "read audit checkpoints")
}

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

// ListAuditEvents returns the events f selects, newest first (at
// descending, then seq descending), at most f.Limit. Each filter has an
// index ending in (at, seq) (migration 00020), so a page reads at most
// Limit index entries past the cursor when one filter is set: record →
// audit_events_record_at, actor → audit_events_actor, action →
// audit_events_action, time range alone → audit_events_at_seq. With
// several filters the database picks one of those indexes and checks the
// others on the rows it reads.
func (s *Store) ListAuditEvents(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	f.Limit = Page{Limit: f.Limit}.Norm().Limit
	if f.RecordID != "" && f.RecordType == "" {
		return nil, fault.Field("record_type", "is required with a record id")
	}
	var w filter
	if f.RecordType != "" {
		w.add("record_type = ?", f.RecordType)
	}
	if f.RecordID != "" {
		w.add("record_id = ?", f.RecordID)
	}
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if !f.From.IsZero() {
		w.add("at >= ?", ts(f.From))
	}
	if !f.To.IsZero() {
		w.add("at < ?", ts(f.To))
	}
	if f.Before > 0 {
		p := w.next(f.Before)
		at := `(SELECT c.at FROM audit_events c WHERE c.seq = ` + p + `)`
		w.conds = append(w.conds, `at <= `+at+` AND (at < `+at+` OR seq < `+p+`)`)
	}
	q := `SELECT ` + auditCols + ` FROM audit_events` + w.where() + ` ORDER BY at DESC, seq DESC LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list audit events")
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, auditAtCol{&e.At, &e.AtText}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, errf(err, "scan audit event")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "list audit events")
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

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// Tx is one write transaction with its fixed "now" and acting user.
type Tx struct {
	tx    *sql.Tx
	now   time.Time
	actor audit.Actor
}

// Now is the transaction's fixed time.
func (tx *Tx) Now() time.Time { return tx.now }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return tx.tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return tx.tx.QueryContext(ctx, q, args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on SQLite, READ
// COMMITTED on PostgreSQL, so the audit chain head lock sees the latest
// head) and commits if fn succeeds. Nothing is written if fn fails.
func (s *Store) write(ctx context.Context, actor audit.Actor, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelDefault})
	if err != nil {
		return unavailable(err, "begin transaction")
	}
	tx := &Tx{tx: sqlTx, now: s.Now(), actor: actor}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return classify(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return unavailable(err, "commit")
	}
	return nil
}

// classify turns driver errors about constraints into Conflict errors and
// busy/locked databases into Unavailable, leaving fault errors alone.
func classify(err error) error {
	if fault.As(err) != nil {
		return err
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UNIQUE constraint"), strings.Contains(msg, "duplicate key"):
		return &fault.Error{Code: fault.Conflict, Message: "a record with that key already exists", Err: err}
	case strings.Contains(msg, "FOREIGN KEY constraint"), strings.Contains(msg, "violates foreign key"):
		return &fault.Error{Code: fault.Invalid, Message: "a referenced record does not exist", Err: err}
	}
	return unavailable(err, "database")
}

func unavailable(err error, what string) error {
	msg := err.Error()
	if strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "connection refused") || errors.Is(err, sql.ErrConnDone) {
		return &fault.Error{Code: fault.Unavailable, Message: what + ": database busy or unreachable, retry", Err: err}
	}
	return fault.Wrap(err, "%s", what)
}

// auditEvent appends one event to the chain. The head row is locked by the
// UPDATE (row lock on PostgreSQL, the write lock on SQLite) until commit, so
// concurrent appenders serialise and the chain never forks; seq is gap-free
// and in commit order.
func (tx *Tx) auditEvent(ctx context.Context, action, recordType, recordID string, rev int64, before, after any) error {
	var seq int64
	var prev string
	err := tx.queryRow(ctx, `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`).Scan(&seq, &prev)
	if err != nil {
		return errf(err, "audit head")
	}
	e := audit.Event{Seq: seq, At: tx.now, Actor: tx.actor.User, Role: tx.actor.Role, Action: action,
		RecordType: recordType, RecordID: recordID, RecordVersion: rev,
		Before: encodeJSON(before), After: encodeJSON(after), RequestID: tx.actor.RequestID}
	e.Seal(prev)
	_, err = tx.exec(ctx, `INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev,
		before_json, after_json, request_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		e.Seq, ts(e.At), e.Actor, e.Role, e.Action, e.RecordType, e.RecordID, e.RecordVersion,
		e.Before, e.After, e.RequestID, e.PrevHash, e.Hash)
	if err != nil {
		return errf(err, "audit insert")
	}
	if _, err := tx.exec(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, e.Hash); err != nil {
		return errf(err, "audit head")
	}
	return nil
}

// encodeJSON returns "" for nil, the JSON of v otherwise.
func encodeJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	if string(b) == "null" {
		return ""
	}
	return string(b)
}

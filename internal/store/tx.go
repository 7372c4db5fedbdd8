package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// Tx is one write transaction with its fixed "now" and acting user.
type Tx struct {
	tx      *sql.Tx
	conn    *sql.Conn // PostgreSQL writes: tx's connection, for pgx batches (gate_batch.go)
	store   *Store
	dialect Dialect
	now     time.Time
	// readOnly: a snapshot (Store.snapshot): no row locks, nothing written.
	readOnly bool
	actor    audit.Actor
	pending  []audit.Event   // audit events appended at commit, in order
	attr     *attrCache      // set by an import: deployments per environment
	seen     map[string]bool // named records found by requireNames
	// unprepared lists statements to add to the store's cache after commit.
	unprepared []string
	// Event-driven rollback (deployment_signals.go): the policy the request
	// saw (nil: read the stored one when needed), when the request arrived
	// (wall clock: the evidence rollback latency counts from), and the
	// rollbacks decided, told to the store's hook after commit.
	pol     *policy.Policy
	arrived time.Time
	decided []RollbackDecision
	// undo runs when the transaction does not commit, after its rollback
	// (onRollback): it reverts effects outside the database.
	undo []func(context.Context)
}

// onRollback registers fn to run if this transaction does not commit,
// after its rollback and outside the write gate, with a context that is
// not canceled: for what the transaction did outside the database, such
// as artifact bytes it stored (artifacts_bytes.go).
func (tx *Tx) onRollback(fn func(context.Context)) { tx.undo = append(tx.undo, fn) }

// Now is the transaction's fixed time.
func (tx *Tx) Now() time.Time { return tx.now }

func (tx *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := tx.prepared(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, q, args...)
}

func (tx *Tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := tx.prepared(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, q, args...)
}

func (tx *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := tx.prepared(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, q, args...)
}

// prepared returns q prepared on the transaction's connection, from the
// store's statement cache, or nil to run q unprepared. Only SQLite needs
// it: modernc parses every unprepared statement again, while pgx caches
// prepared statements by itself. A statement not cached yet is prepared
// after commit: preparing it now would take a second pool connection while
// this transaction holds the write lock, and the other connections may all
// be writers waiting for that lock (a deadlock until busy timeouts fire).
func (tx *Tx) prepared(ctx context.Context, q string) *sql.Stmt {
	if tx.dialect != SQLite || tx.store == nil {
		return nil
	}
	st, ok := tx.store.stmts.Load(q)
	if !ok {
		tx.unprepared = append(tx.unprepared, q)
		return nil
	}
	return tx.tx.StmtContext(ctx, st.(*sql.Stmt))
}

// endRead ends a read transaction and prepares the statements it ran
// unprepared, for the next one.
func (tx *Tx) endRead(ctx context.Context) {
	tx.tx.Rollback()
	for _, q := range tx.unprepared {
		tx.store.cachedStmt(ctx, q)
	}
}

// write runs fn in a write transaction (BEGIN IMMEDIATE on SQLite, READ
// COMMITTED on PostgreSQL, so the audit chain head lock sees the latest
// head) and commits if fn succeeds. Nothing is written if fn fails.
func (s *Store) write(ctx context.Context, actor audit.Actor, fn func(*Tx) error) error {
	undo, err := s.writeOnce(ctx, actor, fn)
	if err != nil {
		for _, f := range undo {
			f(context.WithoutCancel(ctx))
		}
	}
	return err
}

// writeOnce is write's transaction; it returns the failed transaction's
// onRollback functions for write to run once the write gate is left.
func (s *Store) writeOnce(ctx context.Context, actor audit.Actor, fn func(*Tx) error) (undo []func(context.Context), err error) {
	leave, err := s.writers.enter(ctx)
	if err != nil {
		return nil, unavailable(err, "begin transaction")
	}
	defer leave()
	sqlTx, conn, err := s.beginWrite(ctx)
	if err != nil {
		return nil, unavailable(err, "begin transaction")
	}
	if conn != nil {
		defer conn.Close()
	}
	tx := &Tx{tx: sqlTx, conn: conn, store: s, dialect: s.dialect, now: s.Now(), actor: actor, arrived: time.Now()}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return tx.undo, classify(err)
	}
	if err := tx.flushAudit(ctx); err != nil {
		sqlTx.Rollback()
		return tx.undo, classify(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return tx.undo, unavailable(err, "commit")
	}
	for _, q := range tx.unprepared {
		s.cachedStmt(ctx, q)
	}
	s.tellDecided(tx.decided)
	return nil, nil
}

// classify turns driver errors about constraints into Conflict or Invalid
// errors and transient faults into Unavailable (by the drivers' error
// codes: tx_errors.go), leaving fault errors alone.
func classify(err error) error {
	if fault.As(err) != nil {
		return err
	}
	switch classifyDB(err) {
	case dbDuplicate:
		return &fault.Error{Code: fault.Conflict, Message: "a record with that key already exists", Err: err}
	case dbMissingRef:
		return &fault.Error{Code: fault.Invalid, Message: "a referenced record does not exist", Err: err}
	}
	return unavailable(err, "database")
}

// unavailable wraps err as Unavailable (503, retry) when it is transient,
// else as an internal error, keeping the cause either way.
func unavailable(err error, what string) error {
	if classifyDB(err) == dbRetry {
		return &fault.Error{Code: fault.Unavailable, Message: what + ": database busy or unreachable, retry", Err: err}
	}
	return fault.Wrap(err, "%s", what)
}

// auditEvent records one event of this transaction; it is chained and
// stored by flushAudit just before commit, so a committed change always has
// its event and a failed one has none.
func (tx *Tx) auditEvent(ctx context.Context, action, recordType, recordID string, rev int64, before, after any) error {
	tx.pending = append(tx.pending, audit.Event{At: tx.now, Actor: tx.actor.User, Role: tx.actor.Role, Action: action,
		RecordType: recordType, RecordID: recordID, RecordVersion: rev,
		Before: encodeJSON(before), After: encodeJSON(after), RequestID: tx.actor.RequestID})
	return nil
}

// auditChunk bounds the rows of one multi-row INSERT on PostgreSQL (13 parameters each).
const auditChunk = 500

// flushAudit appends the pending events to the chain and their hashes to
// the Merkle tree (audit_tree.go). The UPDATE of the
// head row takes its lock (row lock on PostgreSQL at READ COMMITTED, the
// write lock on SQLite) until commit, so concurrent appenders serialise,
// the chain never forks, and seq is gap-free and in commit order.
func (tx *Tx) flushAudit(ctx context.Context) error {
	n := len(tx.pending)
	if n == 0 {
		return nil
	}
	var last int64
	var prev string
	if err := tx.queryRow(ctx, `UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash`,
		n).Scan(&last, &prev); err != nil {
		return errf(err, "audit head")
	}
	for i := range tx.pending {
		e := &tx.pending[i]
		e.Seq = last - int64(n) + int64(i) + 1
		e.Seal(prev)
		prev = e.Hash
	}
	if err := tx.insertAudit(ctx, tx.pending, prev); err != nil {
		return errf(err, "audit insert")
	}
	if err := tx.appendTree(ctx, tx.pending); err != nil {
		return errf(err, "audit tree")
	}
	tx.pending = nil
	return nil
}

const insertAuditSQL = `INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev,
	before_json, after_json, request_id, prev_hash, hash) VALUES `

// insertAudit stores sealed events and sets the chain head's hash to head.
// PostgreSQL gets multi-row INSERTs (one round trip per chunk), the last one
// updating the head in the same statement (a data-modifying WITH); SQLite
// gets one prepared single-row INSERT reused (modernc binds $N parameters by
// name, so a statement's cost grows with the square of its parameter count:
// 500 rows × 13 columns was 48× slower), then the head update.
func (tx *Tx) insertAudit(ctx context.Context, evs []audit.Event, head string) error {
	if tx.dialect == SQLite {
		if err := tx.insertAuditRows(ctx, evs); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE audit_head SET hash = $1 WHERE id = 1`, head)
		return err
	}
	for start := 0; start < len(evs); start += auditChunk {
		chunk := evs[start:min(start+auditChunk, len(evs))]
		var b strings.Builder
		args := make([]any, 0, len(chunk)*13+1)
		last := start+auditChunk >= len(evs)
		if last {
			args = append(args, head)
			b.WriteString(`WITH ins AS (`)
		}
		b.WriteString(insertAuditSQL)
		for i, e := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(args)+1, 13) + ")")
			args = append(args, auditArgs(e)...)
		}
		if last {
			b.WriteString(`) UPDATE audit_head SET hash = $1 WHERE id = 1`)
		}
		if _, err := tx.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// insertAuditRows inserts events one by one through a prepared statement (SQLite).
func (tx *Tx) insertAuditRows(ctx context.Context, evs []audit.Event) error {
	q := insertAuditSQL + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`
	st := tx.prepared(ctx, q) // the store's cached statement (prepared after the first commit)
	if st == nil {
		var err error
		if st, err = tx.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		defer st.Close()
	}
	for _, e := range evs {
		if _, err := st.ExecContext(ctx, auditArgs(e)...); err != nil {
			return err
		}
	}
	return nil
}

func auditArgs(e audit.Event) []any {
	return []any{e.Seq, ts(e.At), e.Actor, e.Role, e.Action, e.RecordType, e.RecordID, e.RecordVersion,
		e.Before, e.After, e.RequestID, e.PrevHash, e.Hash}
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

// insertID runs an INSERT (written without RETURNING) and returns the new
// row's id: through LastInsertId on SQLite, where RETURNING buffers its
// result and needs a statement journal (about 40% of a single-row insert),
// and with RETURNING id appended on PostgreSQL, whose driver has no
// LastInsertId.
func (tx *Tx) insertID(ctx context.Context, insert string, args ...any) (int64, error) {
	if tx.dialect == SQLite {
		res, err := tx.exec(ctx, insert, args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var id int64
	err := tx.queryRow(ctx, insert+` RETURNING id`, args...).Scan(&id)
	return id, err
}

package store

import (
	"context"
	"database/sql"
	"strconv"

	"fixgate/internal/fault"
)

// Every update of a revisioned record is guarded twice, so that of two
// concurrent writers holding the same revision exactly one wins:
//
//   - the read that precedes the update holds the row lock until commit
//     (forUpdate): on PostgreSQL, at READ COMMITTED, a second writer waits
//     for the first to commit and then reads the new revision, so a writer
//     without If-Match applies its change on top instead of overwriting,
//     and one with a stale If-Match fails checkRev; SQLite's BEGIN
//     IMMEDIATE serialises writers already;
//   - the UPDATE itself is a compare-and-set on the revision read
//     (updateRev, casDone): "... WHERE id = $n AND rev = $old" changing no
//     row means the record changed since it was read.

// forUpdate returns the row-lock clause to append to a read that precedes
// an update of the row it reads: " FOR UPDATE" in a PostgreSQL write
// transaction, "" on SQLite (BEGIN IMMEDIATE holds the write lock from the
// start), in read-only snapshots (Store.read, Store.snapshot: they change
// nothing) and in transactions without a store.
func (tx *Tx) forUpdate() string {
	if tx.dialect == Postgres && tx.store != nil && !tx.readOnly {
		return ` FOR UPDATE`
	}
	return ""
}

// updateRev runs q, an UPDATE of the one record named by what whose WHERE
// requires the revision the transaction read (old, among args: "AND rev =
// $n"). Returns PreconditionFailed, like checkRev, when no row changed:
// another transaction changed (or removed) the record since it was read.
func (tx *Tx) updateRev(ctx context.Context, what string, old int64, q string, args ...any) error {
	res, err := tx.exec(ctx, q, args...)
	if err != nil {
		return err
	}
	return casDone(res, what, old)
}

// casDone returns PreconditionFailed when res, the result of a
// compare-and-set UPDATE of the record named by what at revision old,
// changed no row.
func casDone(res sql.Result, what string, old int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return &fault.Error{Code: fault.PreconditionFailed,
			Message: what + " has changed since revision " + strconv.FormatInt(old, 10) + " was read; read it again"}
	}
	return nil
}

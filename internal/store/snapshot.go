package store

import (
	"context"
	"database/sql"
)

// snapshot runs fn in a read-only transaction that is always rolled back:
// one consistent view for the Tx helpers, without the write lock (on SQLite
// a deferred read transaction, on PostgreSQL REPEATABLE READ, as GateInput).
// Pages use it to show what a write would decide without writing.
func (s *Store) snapshot(ctx context.Context, fn func(*Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	sqlTx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return unavailable(err, "begin read")
	}
	tx := &Tx{tx: sqlTx, store: s, dialect: s.dialect, now: s.Now(), readOnly: true}
	defer tx.endRead(ctx)
	if err := fn(tx); err != nil {
		return classify(err)
	}
	return nil
}

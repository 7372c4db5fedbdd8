package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// The gate reads its input as lists of statements, each with the function
// that reads its rows. One list runs either one statement after the other
// (SQLite: one reader, prepared statements, nothing to gain from
// pipelining) or as one pgx batch, a single round trip (PostgreSQL, where a
// round trip costs the process and the backend more than the SQL does:
// bench/README.md, session 6). The statements and their scanning are the
// same either way. The evaluation's record uses the same split for its
// inserts (execStmt, Tx.execAll).

// readStmt is one read: its SQL with $N placeholders, its arguments, and
// row, called with each row it returns, in order.
type readStmt struct {
	sql  string
	args []any
	row  func(rowScanner) error
}

// rowScanner is a row of *sql.Rows or pgx.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// stmtRunner runs lists of statements in one read transaction: the
// statements of one call in the order given, their row functions in that
// order, all of one call's rows before the next call. A row function must
// not depend on rows of the same call that are not its own unless they come
// from an earlier statement.
type stmtRunner interface {
	run(ctx context.Context, stmts ...readStmt) error
	// last runs the transaction's last list; on PostgreSQL the batch ends
	// the transaction too (no round trip of its own).
	last(ctx context.Context, stmts ...readStmt) error
}

// runEach runs stmts one by one through q (*sql.DB, *sql.Tx or readTx).
func runEach(ctx context.Context, q querier, stmts []readStmt) error {
	for _, st := range stmts {
		rows, err := q.QueryContext(ctx, st.sql, st.args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := st.row(rows); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// eachRunner runs every call's statements one by one through q: the read
// transaction on SQLite, a write transaction that judges approvals
// (approval_guard.go).
type eachRunner struct{ q querier }

func (e eachRunner) run(ctx context.Context, stmts ...readStmt) error {
	return runEach(ctx, e.q, stmts)
}

func (e eachRunner) last(ctx context.Context, stmts ...readStmt) error {
	return runEach(ctx, e.q, stmts)
}

// batchRunner sends every call's statements as one pgx batch on one
// connection (PostgreSQL). The first batch begins a read-only REPEATABLE
// READ transaction (its first query) and the last one rolls it back (its
// last query), so a gather of two lists costs two round trips and every
// list reads the same snapshot.
type batchRunner struct {
	conn *pgx.Conn
	tx   pgx.Tx // set by the first batch
}

func (b *batchRunner) run(ctx context.Context, stmts ...readStmt) error {
	return b.send(ctx, stmts, false)
}

func (b *batchRunner) last(ctx context.Context, stmts ...readStmt) error {
	return b.send(ctx, stmts, true)
}

func (b *batchRunner) send(ctx context.Context, stmts []readStmt, end bool) error {
	var batch pgx.Batch
	if b.tx == nil {
		batch.BeginTx(pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	}
	for _, st := range stmts {
		batch.Queue(st.sql, st.args...)
	}
	if end {
		batch.Queue(`ROLLBACK`)
	}
	br := b.conn.SendBatch(ctx, &batch)
	err := b.results(br, stmts)
	if end && err == nil {
		_, err = br.Exec()
	}
	return errors.Join(err, br.Close())
}

// results reads br: the begin query's result if this batch began the
// transaction, then each statement's rows.
func (b *batchRunner) results(br pgx.BatchResults, stmts []readStmt) error {
	if b.tx == nil {
		b.tx = br.Tx()
		if _, err := br.Exec(); err != nil {
			return err
		}
	}
	for _, st := range stmts {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := st.row(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// end rolls back the transaction unless the last batch ended it.
func (b *batchRunner) end(ctx context.Context) {
	if b.tx != nil && b.conn.PgConn().TxStatus() != 'I' {
		b.tx.Rollback(ctx)
	}
}

// withBatch runs fn with a batchRunner on one of the pool's PostgreSQL
// connections, the transaction ended when fn returns.
func (s *Store) withBatch(ctx context.Context, fn func(stmtRunner) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return unavailable(err, "connection")
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("batch read: not a pgx connection")
		}
		b := &batchRunner{conn: pc.Conn()}
		defer b.end(ctx)
		return fn(b)
	})
}

// beginWrite begins a write transaction (the database's default isolation:
// READ COMMITTED on PostgreSQL). On PostgreSQL it begins it on a connection
// taken for it, returned for the transaction's pgx batches (Tx.execAll);
// the caller closes it once the transaction ended. On SQLite conn is nil
// and the transaction runs on the write gate's connection (write_gate.go;
// without a gate, on one from the pool).
func (s *Store) beginWrite(ctx context.Context) (tx *sql.Tx, conn *sql.Conn, err error) {
	opts := &sql.TxOptions{Isolation: sql.LevelDefault}
	if s.dialect != Postgres {
		if s.writers != nil {
			tx, err = s.writers.begin(ctx, opts)
		} else {
			tx, err = s.db.BeginTx(ctx, opts)
		}
		return tx, nil, err
	}
	if conn, err = s.db.Conn(ctx); err != nil {
		return nil, nil, err
	}
	if tx, err = conn.BeginTx(ctx, opts); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return tx, conn, nil
}

// execStmt is one statement of a write that returns no rows, or with id
// set an INSERT (written without RETURNING) whose new row's id goes there.
type execStmt struct {
	sql  string
	args []any
	id   *int64
}

// execAll runs stmts in tx, in order. On PostgreSQL they go as one pgx
// batch on the transaction's connection (one round trip; an id comes back
// through RETURNING id); on SQLite one by one through the prepared
// statements (an id through LastInsertId: Tx.insertID).
func (tx *Tx) execAll(ctx context.Context, stmts ...execStmt) error {
	if tx.conn == nil {
		for _, st := range stmts {
			var err error
			if st.id != nil {
				*st.id, err = tx.insertID(ctx, st.sql, st.args...)
			} else {
				_, err = tx.exec(ctx, st.sql, st.args...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	return tx.conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return errors.New("batch write: not a pgx connection")
		}
		var batch pgx.Batch
		for _, st := range stmts {
			if st.id != nil {
				batch.Queue(st.sql+` RETURNING id`, st.args...)
			} else {
				batch.Queue(st.sql, st.args...)
			}
		}
		br := pc.Conn().SendBatch(ctx, &batch)
		return errors.Join(execResults(br, stmts), br.Close())
	})
}

// execResults reads the result of each of stmts from br, in order.
func execResults(br pgx.BatchResults, stmts []execStmt) error {
	for _, st := range stmts {
		if st.id == nil {
			if _, err := br.Exec(); err != nil {
				return err
			}
			continue
		}
		if err := br.QueryRow().Scan(st.id); err != nil {
			return err
		}
	}
	return nil
}

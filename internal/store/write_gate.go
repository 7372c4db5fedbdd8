package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// writeGate admits this process's SQLite write transactions one at a time,
// in arrival order, and runs them on a connection of their own. SQLite has
// one writer; without the gate, writers that find the lock taken wait in
// SQLite's busy handler, which sleeps (1 ms growing to 100 ms between
// tries) instead of being woken when the lock is free: under many
// concurrent writers (the ingest group commit, 100 deployments' engine
// steps) the lock sits free while they sleep, commits per second collapse
// and some writers reach the busy timeout (SQLITE_BUSY after 10 s).
// Measured in bench/README.md, session 6. Waiters on a channel send are
// served first come, first served.
//
// The connection: a writer that took its connection from the pool waited
// behind the readers there, and database/sql hands a freed connection to
// a random waiter, so under load the one writer, which every gate
// evaluation's commit waits for, waited up to hundreds of milliseconds for
// a connection while holding the gate (bench/README.md, session 7). The
// gate's holder is the only user of conn, so no lock guards it.
//
// A nil gate (PostgreSQL, or WithoutWriteGate) admits everyone at once,
// each on a connection from the pool.
type writeGate struct {
	turn chan struct{}
	db   *sql.DB
	conn *sql.Conn // taken from db by the first writer; nil again once it failed
}

func newWriteGate(db *sql.DB) *writeGate { return &writeGate{turn: make(chan struct{}, 1), db: db} }

// enter waits for the gate; it returns ctx's error if ctx ends first, and
// otherwise a func that lets the next writer in.
func (g *writeGate) enter(ctx context.Context) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g.turn <- struct{}{}:
		return func() { <-g.turn }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// begin begins the admitted writer's transaction on the gate's connection,
// taking one from the pool for it if it has none. Only the writer the gate
// admitted calls it.
func (g *writeGate) begin(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	if g.conn == nil {
		c, err := g.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		g.conn = c
	}
	tx, err := g.conn.BeginTx(ctx, opts)
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		g.conn.Close()
		g.conn = nil
	}
	return tx, err
}

// close gives the gate's connection back before the store closes.
func (g *writeGate) close() {
	if g != nil && g.conn != nil {
		g.conn.Close()
		g.conn = nil
	}
}

// WithoutWriteGate opens a SQLite store whose write transactions wait in
// SQLite's busy handler instead of the store's FIFO gate, each on a
// connection from the pool: for benchmarks that measure what the gate does.
func WithoutWriteGate() Option { return func(s *Store) { s.noGate = true } }

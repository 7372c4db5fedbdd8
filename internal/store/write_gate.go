package store

import "context"

// writeGate admits this process's SQLite write transactions one at a time,
// in arrival order. SQLite has one writer; without the gate, writers that
// find the lock taken wait in SQLite's busy handler, which sleeps (1 ms
// growing to 100 ms between tries) instead of being woken when the lock is
// free: under many concurrent writers (the ingest group commit, 100
// deployments' engine steps) the lock sits free while they sleep, commits
// per second collapse and some writers reach the busy timeout
// (SQLITE_BUSY after 10 s). Measured in bench/README.md, session 6. Waiters
// on a channel send are served first come, first served. A nil gate
// (PostgreSQL, or WithoutWriteGate) admits everyone at once.
type writeGate chan struct{}

// enter waits for the gate; it returns ctx's error if ctx ends first, and
// otherwise a func that lets the next writer in.
func (g writeGate) enter(ctx context.Context) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g <- struct{}{}:
		return func() { <-g }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// WithoutWriteGate opens a SQLite store whose write transactions wait in
// SQLite's busy handler instead of the store's FIFO gate: for benchmarks
// that measure what the gate does.
func WithoutWriteGate() Option { return func(s *Store) { s.noGate = true } }

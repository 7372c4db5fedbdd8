package store

import (
	"context"
	"sync"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
)

// stepEnds is the group commit of the rollout engine's step ends
// (EndStep). Deployments under analysis each end a step every few seconds
// (a Prometheus check's interval), each end one small write: alone, each
// would pay for a commit (a WAL sync on SQLite, a WAL flush on PostgreSQL)
// and, on SQLite, wait for the one writer once per step. A goroutine stores
// whatever ends are waiting in one transaction, each with its own actor,
// and answers each caller after the commit; if that transaction fails, each
// end is stored again alone, so one cannot fail another. Measured in
// bench/README.md, session 6.
type stepEnds struct {
	mu      sync.Mutex
	pending []*stepEnd
	running bool
}

// maxEndGroup bounds the step ends stored in one transaction.
const maxEndGroup = 256

type stepEnd struct {
	a      audit.Actor
	id     int64
	holder string
	rev    int64
	next   *time.Time
	ms     []analysis.Measurement
	err    error
	done   chan struct{}
}

// EndStep ends holder's step of deployment id: it stores the measurements
// ms the step took (each with its audit event, as RecordMeasurements) and
// gives the lease back as ReleaseDeployment does, in one transaction that
// other step ends may share (stepEnds). It returns after the commit.
func (s *Store) EndStep(ctx context.Context, a audit.Actor, id int64, holder string, rev int64, next *time.Time,
	ms []analysis.Measurement) error {
	e := &stepEnd{a: a, id: id, holder: holder, rev: rev, next: next, ms: ms, done: make(chan struct{})}
	q := &s.ends
	q.mu.Lock()
	q.pending = append(q.pending, e)
	if !q.running {
		q.running = true
		go q.run(context.WithoutCancel(ctx), s)
	}
	q.mu.Unlock()
	<-e.done
	return e.err
}

// run stores groups of waiting step ends until none is left.
func (q *stepEnds) run(ctx context.Context, s *Store) {
	for {
		q.mu.Lock()
		n := min(len(q.pending), maxEndGroup)
		group := q.pending[:n:n]
		q.pending = q.pending[n:]
		if n == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		err := s.write(ctx, group[0].a, func(tx *Tx) error { return tx.endSteps(ctx, group) })
		for _, e := range group {
			switch {
			case err == nil:
			case len(group) == 1:
				e.err = err
			default:
				e.err = s.write(ctx, e.a, func(tx *Tx) error { return tx.endSteps(ctx, []*stepEnd{e}) })
			}
			close(e.done)
		}
	}
}

// endSteps stores each end of group in tx, under its own actor.
func (tx *Tx) endSteps(ctx context.Context, group []*stepEnd) error {
	for _, e := range group {
		tx.actor = e.a
		if err := tx.insertMeasurements(ctx, e.id, e.ms); err != nil {
			return err
		}
		if err := tx.releaseDeployment(ctx, e.id, e.holder, e.rev, e.next); err != nil {
			return err
		}
	}
	return nil
}

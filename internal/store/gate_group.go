package store

import (
	"context"
	"sync"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// Group commit of gate evaluations. Kept because the 500 requests/s goal
// fails on SQLite without it: each evaluation's own transaction and fsync
// serialise on SQLite's single writer (bench/README.md, session 4).

// pendingEval is one evaluation waiting for its group to commit.
type pendingEval struct {
	actor         audit.Actor
	rel           int64
	e             GateEvaluation
	revs, verdict []byte // canonical input revisions and stored verdict
	found         bool   // the release and environment were read in this request
	err           error
	done          chan struct{}
}

// evalGroup queues evaluations; the caller that finds it idle commits the
// queued ones in one transaction, and a goroutine the next groups while
// any are queued.
type evalGroup struct {
	mu    sync.Mutex
	queue []*pendingEval
	busy  bool
}

// maxGroup bounds the evaluations of one transaction.
const maxGroup = 256

// commit queues p and returns its outcome once its group committed.
func (g *evalGroup) commit(ctx context.Context, s *Store, p *pendingEval) (GateEvaluation, error) {
	g.mu.Lock()
	g.queue = append(g.queue, p)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.drain(context.WithoutCancel(ctx), s)
	}
	select {
	case <-p.done:
		return p.e, p.err
	case <-ctx.Done(): // the record may still commit; the caller gave up waiting
		return p.e, &fault.Error{Code: fault.Unavailable, Message: "gate evaluation: request canceled", Err: ctx.Err()}
	}
}

// drain commits up to maxGroup queued evaluations in one transaction. A
// refused one (unknown release or environment) gets its error, writes
// nothing and the group goes on; a database error fails the group.
func (g *evalGroup) drain(ctx context.Context, s *Store) {
	g.mu.Lock()
	batch := g.queue[:min(len(g.queue), maxGroup)]
	g.queue = g.queue[len(batch):]
	g.mu.Unlock()
	err := s.write(ctx, batch[0].actor, func(tx *Tx) error {
		for _, p := range batch {
			if p.err = tx.recordGateEvaluation(ctx, p); p.err != nil && fault.As(p.err) == nil {
				return p.err
			}
		}
		return nil
	})
	for _, p := range batch {
		if err != nil {
			p.err = err
		}
		close(p.done)
	}
	g.mu.Lock()
	more := len(g.queue) > 0
	g.busy = more
	g.mu.Unlock()
	if more {
		go g.drain(ctx, s)
	}
}

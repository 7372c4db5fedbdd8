package store

import (
	"context"
	"sync"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
)

// ingestGroupAlerts bounds the alerts stored in one group transaction.
const ingestGroupAlerts = 2000

// ingestQueue is SQLite's group commit for Alertmanager notifications.
// SQLite has one writer: concurrent notifications would otherwise wait in
// BEGIN IMMEDIATE (the busy handler sleeps and retries) and each pay for a
// commit. Here one goroutine stores whatever notifications are waiting in one
// transaction, each with its own actor, audit event and result, and answers
// each caller after the commit. If the group's transaction fails, each
// notification is retried in its own transaction, so one cannot fail another.
type ingestQueue struct {
	mu      sync.Mutex
	pending []*ingestReq
	running bool
}

type ingestReq struct {
	a    audit.Actor
	p    *alertmanager.Payload
	res  IngestResult
	err  error
	done chan struct{}
}

// ingestQueues holds one queue per Store (keyed by *Store, like sigIndexes).
var ingestQueues sync.Map

func (s *Store) ingestQueue() *ingestQueue {
	v, _ := ingestQueues.LoadOrStore(s, &ingestQueue{})
	return v.(*ingestQueue)
}

// submit queues p and waits for its commit. A caller whose context ends
// first gets its error; the notification may still be stored, and
// Alertmanager's resend is then a duplicate.
func (q *ingestQueue) submit(ctx context.Context, s *Store, a audit.Actor, p *alertmanager.Payload) (IngestResult, error) {
	r := &ingestReq{a: a, p: p, done: make(chan struct{})}
	q.mu.Lock()
	q.pending = append(q.pending, r)
	if !q.running {
		q.running = true
		go q.run(context.WithoutCancel(ctx), s)
	}
	q.mu.Unlock()
	select {
	case <-r.done:
		return r.res, r.err
	case <-ctx.Done():
		return IngestResult{Received: len(p.Alerts)}, unavailable(ctx.Err(), "ingest")
	}
}

// run stores groups of waiting notifications until none is left.
func (q *ingestQueue) run(ctx context.Context, s *Store) {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		n, alerts := 0, 0
		for n < len(q.pending) && (n == 0 || alerts+len(q.pending[n].p.Alerts) <= ingestGroupAlerts) {
			alerts += len(q.pending[n].p.Alerts)
			n++
		}
		group := q.pending[:n:n]
		q.pending = append([]*ingestReq(nil), q.pending[n:]...)
		q.mu.Unlock()
		s.ingestGroup(ctx, group)
		for _, r := range group {
			close(r.done)
		}
	}
}

// ingestGroup stores group in one transaction, else each alone.
func (s *Store) ingestGroup(ctx context.Context, group []*ingestReq) {
	ix := s.sigIndex()
	err := s.write(ctx, group[0].a, func(tx *Tx) error {
		for _, r := range group {
			tx.actor = r.a // audit events name the notification's own sender and request
			res, err := tx.ingestPayload(ctx, ix, r.p)
			if err != nil {
				return err
			}
			r.res = res
		}
		return nil
	})
	if err == nil {
		return
	}
	if len(group) == 1 {
		group[0].res, group[0].err = IngestResult{Received: len(group[0].p.Alerts)}, err
		return
	}
	for _, r := range group {
		r.res, r.err = s.ingestOne(ctx, r.a, r.p)
	}
}

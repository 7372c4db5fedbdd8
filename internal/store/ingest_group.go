package store

import (
	"context"
	"sync"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/policy"
)

// ingestRunners is how many groups are stored at once: one on SQLite (one
// writer); two on PostgreSQL, where one group's statements run while the
// other's commit flushes the WAL (both take the audit chain's head row in
// turn, at their end). Measured (bench/README.md): two goroutines stored
// 15-20 % more alerts per second than one, four no more than two.
var ingestRunners = map[Dialect]int{SQLite: 1, Postgres: 2}

// ingestGroupAlerts bounds the alerts stored in one group transaction.
const ingestGroupAlerts = 2000

// ingestQueue is the group commit for Alertmanager notifications. On SQLite
// (one writer) concurrent notifications would otherwise wait in BEGIN
// IMMEDIATE (the busy handler sleeps and retries) and each pay for a commit;
// on PostgreSQL each would pay for a commit (a WAL flush) while holding the
// audit chain's head row, which serialises them anyway. Here a goroutine
// stores whatever notifications are waiting in one transaction, each with
// its own actor, audit event and result, and answers
// each caller after the commit. If the group's transaction fails, each
// notification is retried in its own transaction, so one cannot fail another.
type ingestQueue struct {
	mu       sync.Mutex
	pending  []*ingestReq
	runners  int             // goroutines storing groups
	inflight map[string]bool // de-duplication keys of the groups being stored
}

type ingestReq struct {
	a       audit.Actor
	p       *alertmanager.Payload
	keys    []string       // de-duplication keys of p's alerts
	pol     *policy.Policy // the policy rollbacks are decided under (Rollouts.Policy; nil: the stored one)
	arrived time.Time      // when the notification reached the store (wall clock)
	res     IngestResult
	err     error
	done    chan struct{}
}

func (s *Store) ingestQueue() *ingestQueue { return &s.ingest }

// submit queues p and waits for its commit. A caller whose context ends
// first gets its error; the notification may still be stored, and
// Alertmanager's resend is then a duplicate.
func (q *ingestQueue) submit(ctx context.Context, s *Store, a audit.Actor, p *alertmanager.Payload) (IngestResult, error) {
	r := &ingestReq{a: a, p: p, keys: alertKeys(p), pol: s.requestPolicy(ctx), arrived: time.Now(), done: make(chan struct{})}
	q.mu.Lock()
	q.pending = append(q.pending, r)
	if q.runners < ingestRunners[s.dialect] {
		q.runners++
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

// run stores groups of waiting notifications until none it may take is left.
func (q *ingestQueue) run(ctx context.Context, s *Store) {
	for {
		q.mu.Lock()
		group := q.next()
		if len(group) == 0 {
			q.runners--
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		s.ingestGroup(ctx, group)
		q.mu.Lock()
		for _, r := range group {
			for _, k := range r.keys {
				delete(q.inflight, k)
			}
		}
		q.mu.Unlock()
		for _, r := range group {
			close(r.done)
		}
	}
}

// next takes the next group (q.mu held): waiting notifications in arrival
// order up to ingestGroupAlerts alerts, except those sharing an alert with a
// group another runner is storing. Stored side by side, one of the two would
// meet the other's alert and be retried alone; they wait for that group,
// whose runner takes them next.
func (q *ingestQueue) next() []*ingestReq {
	var group, rest []*ingestReq
	alerts := 0
	for _, r := range q.pending {
		if len(group) > 0 && alerts+len(r.p.Alerts) > ingestGroupAlerts || q.busy(r) {
			rest = append(rest, r)
			continue
		}
		group, alerts = append(group, r), alerts+len(r.p.Alerts)
	}
	if q.inflight == nil {
		q.inflight = map[string]bool{}
	}
	for _, r := range group {
		for _, k := range r.keys {
			q.inflight[k] = true
		}
	}
	q.pending = rest
	return group
}

// busy reports whether r shares an alert with a group being stored.
func (q *ingestQueue) busy(r *ingestReq) bool {
	for _, k := range r.keys {
		if q.inflight[k] {
			return true
		}
	}
	return false
}

// ingestGroup stores group in one transaction, else each alone.
func (s *Store) ingestGroup(ctx context.Context, group []*ingestReq) {
	err := s.write(ctx, group[0].a, func(tx *Tx) error { return tx.ingestReqs(ctx, s.sigIndex(), group) })
	if err == nil {
		return
	}
	if len(group) == 1 {
		group[0].res, group[0].err = IngestResult{Received: len(group[0].p.Alerts)}, err
		return
	}
	for _, r := range group {
		r.res, r.err = s.ingestOne(ctx, r)
	}
}

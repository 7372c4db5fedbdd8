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

// ingestGroupTime bounds, on SQLite, how long one group holds the one
// writer: every other write (a rollback decided, a driver action begun, the
// engine's step ends) waits in the write gate until the group commits. A
// backlog of notifications (more arriving than the process stores) made
// groups of 2,000 alerts that held it for most of a second under load
// (bench/README.md, sessions 6 and 7). The next group takes as many alerts
// as the last groups stored in this time (ingestQueue.perAlert).
const ingestGroupTime = 50 * time.Millisecond

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
	// perAlert is how long storing one alert took in the last groups
	// (a moving average; SQLite: it sizes groups to ingestGroupTime).
	perAlert time.Duration
	untimed  bool // WithoutIngestTimeBound
}

// WithoutIngestTimeBound opens a store whose ingest groups are bounded by
// their alerts only (ingestGroupAlerts), not by ingestGroupTime: for
// benchmarks that measure what the bound does.
func WithoutIngestTimeBound() Option { return func(s *Store) { s.ingest.untimed = true } }

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
		group := q.next(q.limit(s.dialect))
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

// limit is how many alerts the next group may take (q.mu held): on SQLite
// those stored in ingestGroupTime at the last groups' pace, else (and
// before any group) ingestGroupAlerts.
func (q *ingestQueue) limit(d Dialect) int {
	if d != SQLite || q.untimed || q.perAlert <= 0 {
		return ingestGroupAlerts
	}
	return max(1, min(ingestGroupAlerts, int(ingestGroupTime/q.perAlert)))
}

// took notes that storing n alerts took d (a moving average over about
// four groups).
func (q *ingestQueue) took(d time.Duration, n int) {
	if n == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if per := d / time.Duration(n); q.perAlert == 0 {
		q.perAlert = per
	} else {
		q.perAlert += (per - q.perAlert) / 4
	}
}

// next takes the next group (q.mu held): waiting notifications in arrival
// order up to limit alerts (the first one whatever its size), except those
// sharing an alert with a group another runner is storing. Stored side by
// side, one of the two would meet the other's alert and be retried alone;
// they wait for that group, whose runner takes them next.
func (q *ingestQueue) next(limit int) []*ingestReq {
	var group, rest []*ingestReq
	alerts := 0
	for _, r := range q.pending {
		if len(group) > 0 && alerts+len(r.p.Alerts) > limit || q.busy(r) {
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

// ingestGroup stores group in one transaction, else each alone; the time
// the group's statements took (in the transaction, not waiting for it)
// sizes the next groups (ingestQueue.took).
func (s *Store) ingestGroup(ctx context.Context, group []*ingestReq) {
	err := s.write(ctx, group[0].a, func(tx *Tx) error {
		t0 := time.Now()
		err := tx.ingestReqs(ctx, s.sigIndex(), group)
		n := 0
		for _, r := range group {
			n += len(r.p.Alerts)
		}
		s.ingest.took(time.Since(t0), n)
		return err
	})
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

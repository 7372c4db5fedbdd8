package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/webhook"
)

// Events this package writes to the outbox. The webhook worker delivers
// outbox rows to subscribers; it sets attempts, next_attempt_at,
// delivered_at, lease_until and last_error.
const (
	EventProblemRecurred      = "problem.recurred"
	EventProblemReadyToClose  = "problem.ready_to_close"
	EventProblemClosed        = "problem.closed"
	EventIncidentOpened       = "incident.opened"
	EventSignalReceived       = "signal.received"
	EventDeploymentRolledBack = "deployment.rolled_back"
	EventGateBlocked          = "gate.blocked"
	// EventDeploymentRollbackFailed: a rollback driver failed; the engine retries it (once per deployment).
	EventDeploymentRollbackFailed = "deployment.rollback_failed"
)

// OutboxEvent is one notification waiting for (or past) delivery.
type OutboxEvent struct {
	ID        int64     `json:"id"`
	Event     string    `json:"event"`
	Payload   string    `json:"payload"` // JSON
	CreatedAt time.Time `json:"created_at"`
}

// enqueue writes a notification row in the transaction of the event it
// reports, so a committed event always has its notification and a rolled
// back one has none, but only when an active subscription would deliver
// it: with nobody subscribed, nothing is written. payload is encoded as JSON.
func (tx *Tx) enqueue(ctx context.Context, event string, payload any) error {
	_, err := tx.enqueueOnce(ctx, event, "", payload)
	return err
}

// enqueueOnce is enqueue with a de-duplication key: a second row with the
// same non-empty key is not written. It returns whether a row was written.
func (tx *Tx) enqueueOnce(ctx context.Context, event, key string, payload any) (bool, error) {
	if ok, err := tx.subscribed(ctx, event); err != nil || !ok {
		return false, err
	}
	return tx.insertNotice(ctx, event, key, payload)
}

// insertNotice writes one outbox row (enqueueOnce without the subscription check).
func (tx *Tx) insertNotice(ctx context.Context, event, key string, payload any) (bool, error) {
	res, err := tx.exec(ctx, `INSERT INTO outbox (event, payload, dedup_key, created_at, next_attempt_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedup_key) DO NOTHING`,
		event, jsonText(payload), nullText(key), ts(tx.now), ts(tx.now))
	if err != nil {
		return false, errf(err, "enqueue %s", event)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// subscribed reports whether an active webhook subscription wants event
// (the delivery worker's rule: webhook.Subscription.Matches), read in the
// transaction that would enqueue it.
func (tx *Tx) subscribed(ctx context.Context, event string) (bool, error) {
	rows, err := tx.query(ctx, `SELECT events FROM webhooks WHERE active = TRUE AND deleted_at IS NULL`)
	if err != nil {
		return false, errf(err, "webhook subscriptions")
	}
	defer rows.Close()
	for rows.Next() {
		var w webhook.Subscription
		if err := rows.Scan(jsonCol{&w.Events}); err != nil {
			return false, errf(err, "webhook subscriptions")
		}
		if w.Matches(event) {
			return true, nil
		}
	}
	return false, errf(rows.Err(), "webhook subscriptions")
}

// notice is one outbox row for enqueueAll.
type notice struct {
	event   string
	payload any
}

// enqueueAll writes notices as enqueue does, in order, reading the
// subscriptions once per event name.
func (tx *Tx) enqueueAll(ctx context.Context, ns []notice) error {
	wanted := map[string]bool{}
	for _, n := range ns {
		ok, seen := wanted[n.event]
		if !seen {
			var err error
			if ok, err = tx.subscribed(ctx, n.event); err != nil {
				return err
			}
			wanted[n.event] = ok
		}
		if !ok {
			continue
		}
		if _, err := tx.insertNotice(ctx, n.event, "", n.payload); err != nil {
			return err
		}
	}
	return nil
}

// ListOutbox returns outbox rows of event ("" for all) after id after, in
// id order, at most limit (tests and diagnostics; the webhook worker has
// its own claim query).
func (s *Store) ListOutbox(ctx context.Context, event string, after int64, limit int) ([]OutboxEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var w filter
	w.add("id > ?", after)
	if event != "" {
		w.add("event = ?", event)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, event, payload, created_at FROM outbox`+w.where()+` ORDER BY id LIMIT `+w.next(limit), w.args...)
	if err != nil {
		return nil, errf(err, "list outbox")
	}
	defer rows.Close()
	out := []OutboxEvent{}
	for rows.Next() {
		var e OutboxEvent
		if err := rows.Scan(&e.ID, &e.Event, &e.Payload, timeCol{&e.CreatedAt}); err != nil {
			return nil, errf(err, "scan outbox")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "list outbox")
}

// ClaimLease takes the lease called name for holder until now+ttl, if it is
// free (never taken, or expired; also when holder's own lease expired). It returns whether
// holder has it. Replicas that call ClaimLease at the same moment get one
// winner: the claim is a single conditional UPDATE. A lease is not released
// after the step it guards: it expires, so a step runs at most once per ttl
// across replicas whatever their tickers' phases.
func (s *Store) ClaimLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	if name == "" || holder == "" || ttl <= 0 {
		return false, fault.Field("lease", "needs a name, a holder and a positive duration")
	}
	var got bool
	err := s.write(ctx, audit.System("lease"), func(tx *Tx) error {
		if _, err := tx.exec(ctx, `INSERT INTO job_leases (name, holder, lease_until) VALUES ($1, '', NULL)
			ON CONFLICT (name) DO NOTHING`, name); err != nil {
			return err
		}
		res, err := tx.exec(ctx, `UPDATE job_leases SET holder = $1, lease_until = $2
			WHERE name = $3 AND (lease_until IS NULL OR lease_until <= $4)`,
			holder, ts(tx.now.Add(ttl)), name, ts(tx.now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		got = n == 1
		return nil
	})
	return got, err
}

// LeaseHolder returns who holds the lease name and until when ("" if nobody ever did).
func (s *Store) LeaseHolder(ctx context.Context, name string) (string, *time.Time, error) {
	var holder string
	var until *time.Time
	err := s.db.QueryRowContext(ctx, `SELECT holder, lease_until FROM job_leases WHERE name = $1`, name).Scan(&holder, nullTimeCol{&until})
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	return holder, until, errf(err, "lease")
}

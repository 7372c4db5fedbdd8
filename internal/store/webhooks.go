package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/webhook"
)

const webhookCols = `id, url, events, secret, description, active, allow_private, rev, created_by, created_at, updated_at`

func scanWebhook(sc interface{ Scan(...any) error }) (webhook.Subscription, error) {
	var w webhook.Subscription
	var id int64
	err := sc.Scan(&id, &w.URL, jsonCol{&w.Events}, &w.Secret, &w.Description, &w.Active, &w.AllowPrivate, &w.Revision,
		&w.CreatedBy, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt})
	w.ID = webhook.Kind.Format(id)
	return w, err
}

// CreateWebhook stores a new subscription. An empty secret is generated;
// the returned subscription carries it (Secret) for the caller to show
// once. Returns Invalid naming the field.
func (s *Store) CreateWebhook(ctx context.Context, a audit.Actor, in webhook.Subscription) (webhook.Subscription, error) {
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := in.Validate(); err != nil {
			return err
		}
		if in.Secret == "" {
			in.Secret = webhook.NewSecret()
		}
		in.Revision, in.CreatedBy, in.CreatedAt, in.UpdatedAt = 1, tx.actor.User, tx.now, tx.now
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO webhooks (url, events, secret, description, active, allow_private, rev, created_by,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			in.URL, jsonText(in.Events), in.Secret, in.Description, in.Active, in.AllowPrivate, in.Revision, in.CreatedBy,
			ts(in.CreatedAt), ts(in.UpdatedAt)).Scan(&id); err != nil {
			return err
		}
		in.ID = webhook.Kind.Format(id)
		return tx.auditEvent(ctx, "webhook.create", "webhook", in.ID, in.Revision, nil, in)
	})
	return in, err
}

// getWebhook reads subscription id through q; lock is appended to the
// query (tx.forUpdate() before an update, else "").
func getWebhook(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64, lock string) (webhook.Subscription, error) {
	w, err := scanWebhook(q.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = $1 AND deleted_at IS NULL`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, fault.NotFoundf("webhook %s not found", webhook.Kind.Format(id))
	}
	return w, errf(err, "get webhook")
}

// GetWebhook returns one subscription (with its secret: do not show it).
// Returns NotFound for an unknown or deleted one.
func (s *Store) GetWebhook(ctx context.Context, id int64) (webhook.Subscription, error) {
	return getWebhook(ctx, s.db, id, "")
}

// ListWebhooks returns subscriptions that are not deleted, in id order.
func (s *Store) ListWebhooks(ctx context.Context, p Page) ([]webhook.Subscription, error) {
	p = p.Norm()
	rows, err := s.db.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2`, p.After, p.Limit)
	if err != nil {
		return nil, errf(err, "list webhooks")
	}
	defer rows.Close()
	out := []webhook.Subscription{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, errf(err, "scan webhook")
		}
		out = append(out, w)
	}
	return out, errf(rows.Err(), "list webhooks")
}

// UpdateWebhook loads the subscription, checks ifRev (0 skips the check),
// applies fn, validates and saves it with its audit event. Returns
// NotFound, PreconditionFailed, Invalid naming the field; nothing is
// written on error.
func (s *Store) UpdateWebhook(ctx context.Context, a audit.Actor, id, ifRev int64, fn func(*webhook.Subscription) error) (webhook.Subscription, error) {
	var w webhook.Subscription
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := getWebhook(ctx, tx.tx, id, tx.forUpdate())
		if err != nil {
			return err
		}
		if err := checkRev("webhook "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		w = before
		w.Events = append([]string(nil), before.Events...)
		if err := fn(&w); err != nil {
			return err
		}
		if err := w.ValidateStored(); err != nil {
			return err
		}
		w.ID, w.CreatedBy, w.CreatedAt = before.ID, before.CreatedBy, before.CreatedAt
		w.Revision, w.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "webhook "+before.ID, before.Revision, `UPDATE webhooks SET url = $1, events = $2, secret = $3,
			description = $4, active = $5, allow_private = $6, rev = $7, updated_at = $8 WHERE id = $9 AND rev = $10 AND deleted_at IS NULL`,
			w.URL, jsonText(w.Events), w.Secret, w.Description, w.Active, w.AllowPrivate, w.Revision, ts(w.UpdatedAt), id,
			before.Revision); err != nil {
			return err
		}
		action := "webhook.update"
		if w.Secret != before.Secret {
			action = "webhook.update.secret_rotated"
		}
		return tx.auditEvent(ctx, action, "webhook", w.ID, w.Revision, before, w)
	})
	return w, err
}

// DeleteWebhook stops all deliveries to the subscription and hides it; its
// delivery log stays readable. Returns NotFound or PreconditionFailed.
func (s *Store) DeleteWebhook(ctx context.Context, a audit.Actor, id, ifRev int64) error {
	return s.write(ctx, a, func(tx *Tx) error {
		before, err := getWebhook(ctx, tx.tx, id, tx.forUpdate())
		if err != nil {
			return err
		}
		if err := checkRev("webhook "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		if err := tx.updateRev(ctx, "webhook "+before.ID, before.Revision, `UPDATE webhooks SET deleted_at = $1, active = FALSE,
			rev = rev + 1 WHERE id = $2 AND rev = $3 AND deleted_at IS NULL`, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "webhook.delete", "webhook", before.ID, before.Revision+1, before, nil)
	})
}

// WebhookDelivery is one attempt in a subscription's delivery log.
type WebhookDelivery struct {
	ID         int64     `json:"id"`
	Webhook    string    `json:"webhook"`
	EventID    int64     `json:"event_id"` // the outbox event (the envelope's id)
	Event      string    `json:"event"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"` // 0: no HTTP answer
	Error      string    `json:"error"`
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
}

// ListWebhookDeliveries returns the delivery log of a subscription (also a
// deleted one), oldest first, after p.After. Returns NotFound for an id
// that never existed.
func (s *Store) ListWebhookDeliveries(ctx context.Context, id int64, p Page) ([]WebhookDelivery, error) {
	p = p.Norm()
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE id = $1`, id).Scan(&n); err != nil {
		return nil, errf(err, "webhook")
	}
	if n == 0 {
		return nil, fault.NotFoundf("webhook %s not found", webhook.Kind.Format(id))
	}
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.outbox_id, o.event, d.attempt, d.status_code, d.error, d.at, d.duration_ms
		FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
		WHERE d.webhook_id = $1 AND d.id > $2 ORDER BY d.id LIMIT $3`, id, p.After, p.Limit)
	if err != nil {
		return nil, errf(err, "list deliveries")
	}
	defer rows.Close()
	out := []WebhookDelivery{}
	for rows.Next() {
		d := WebhookDelivery{Webhook: webhook.Kind.Format(id)}
		if err := rows.Scan(&d.ID, &d.EventID, &d.Event, &d.Attempt, &d.StatusCode, &d.Error, timeCol{&d.At}, &d.DurationMS); err != nil {
			return nil, errf(err, "scan delivery")
		}
		out = append(out, d)
	}
	return out, errf(rows.Err(), "list deliveries")
}

// Notify writes an event to the outbox in its own transaction (for events
// raised outside a store mutation) and returns its id. Returns Invalid
// naming "event" unless event is a dotted lower-case name.
func (s *Store) Notify(ctx context.Context, a audit.Actor, event string, payload any) (int64, error) {
	if !webhook.ValidEvent(event) {
		return 0, fault.Field("event", "%q is not an event name (like problem.recurred)", event)
	}
	var id int64
	err := s.write(ctx, a, func(tx *Tx) error {
		return tx.queryRow(ctx, `INSERT INTO outbox (event, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4) RETURNING id`,
			event, jsonText(payload), ts(tx.now), ts(tx.now)).Scan(&id)
	})
	return id, err
}

// webhookClaimSQL leases due events. On PostgreSQL the subselect skips rows
// another replica is claiming (FOR UPDATE SKIP LOCKED); SQLite serialises
// writers (BEGIN IMMEDIATE), so the conditional UPDATE is the claim.
const webhookClaimSQL = `UPDATE outbox SET lease_until = $1 WHERE id IN (SELECT id FROM outbox
	WHERE delivered_at IS NULL AND attempts < $2 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
	ORDER BY id LIMIT $4%s) RETURNING id, event, payload, created_at, attempts`

// ClaimWebhookJobs leases up to limit due outbox events (not delivered,
// fewer than webhook.MaxAttempts attempts, next attempt due, lease free or
// expired) until now+lease, with the active subscriptions that want each
// event, existed when it was raised, and have not yet acknowledged it.
func (s *Store) ClaimWebhookJobs(ctx context.Context, limit int, lease time.Duration) ([]webhook.Job, error) {
	var jobs []webhook.Job
	err := s.write(ctx, audit.System("webhook"), func(tx *Tx) error {
		lock := ""
		if tx.dialect == Postgres {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		until := tx.now.Add(lease)
		rows, err := tx.query(ctx, strings.Replace(webhookClaimSQL, "%s", lock, 1), ts(until), webhook.MaxAttempts, ts(tx.now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			j := webhook.Job{LeaseUntil: until}
			var payload string
			if err := rows.Scan(&j.OutboxID, &j.Event, &payload, timeCol{&j.CreatedAt}, &j.Attempt); err != nil {
				rows.Close()
				return err
			}
			j.Payload, j.Attempt = json.RawMessage(payload), j.Attempt+1
			jobs = append(jobs, j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.webhookTargets(ctx, jobs)
	})
	return jobs, err
}

// webhookTargets fills each job's subscriptions.
func (tx *Tx) webhookTargets(ctx context.Context, jobs []webhook.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE active = TRUE AND deleted_at IS NULL ORDER BY id`)
	if err != nil {
		return err
	}
	var subs []webhook.Subscription
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			rows.Close()
			return err
		}
		subs = append(subs, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range jobs {
		j := &jobs[i]
		for _, w := range subs {
			if !w.Matches(j.Event) || w.CreatedAt.After(j.CreatedAt) {
				continue
			}
			wid, _ := webhook.Kind.Parse("id", w.ID)
			var done int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries WHERE outbox_id = $1 AND webhook_id = $2
				AND status_code >= 200 AND status_code < 300 AND error = ''`, j.OutboxID, wid).Scan(&done); err != nil {
				return err
			}
			if done == 0 {
				j.Targets = append(j.Targets, w)
			}
		}
	}
	return nil
}

// FinishWebhookJob logs the attempts and, if this worker still holds the
// lease, marks the event delivered (every target acknowledged) or schedules
// the next attempt after webhook.Backoff; after webhook.MaxAttempts the
// event is no longer claimed. No audit event: the delivery log is the record.
func (s *Store) FinishWebhookJob(ctx context.Context, j webhook.Job, attempts []webhook.Attempt) error {
	return s.write(ctx, audit.System("webhook"), func(tx *Tx) error {
		var failures []string
		for _, a := range attempts {
			wid, err := webhook.Kind.Parse("webhook", a.WebhookID)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, outbox_id, attempt, status_code, error, at, duration_ms)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, wid, j.OutboxID, j.Attempt, a.StatusCode, a.Error, ts(a.At), a.Duration.Milliseconds()); err != nil {
				return err
			}
			if !a.OK() {
				failures = append(failures, a.WebhookID+": "+a.Error)
			}
		}
		if len(failures) == 0 {
			_, err := tx.exec(ctx, `UPDATE outbox SET delivered_at = $1, attempts = $2, lease_until = NULL, last_error = ''
				WHERE id = $3 AND lease_until = $4`, ts(tx.now), j.Attempt, j.OutboxID, ts(j.LeaseUntil))
			return err
		}
		msg := strings.Join(failures, "; ")
		if len(msg) > 2000 {
			msg = msg[:2000]
		}
		if j.Attempt >= webhook.MaxAttempts {
			msg = "gave up after " + strconv.Itoa(j.Attempt) + " attempts: " + msg
		}
		_, err := tx.exec(ctx, `UPDATE outbox SET attempts = $1, next_attempt_at = $2, lease_until = NULL, last_error = $3
			WHERE id = $4 AND lease_until = $5`, j.Attempt, ts(tx.now.Add(webhook.Backoff(j.Attempt))), strings.ToValidUTF8(msg, "?"),
			j.OutboxID, ts(j.LeaseUntil))
		return err
	})
}

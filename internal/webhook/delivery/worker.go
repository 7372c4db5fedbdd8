// Package delivery is the outgoing side of webhooks: the worker that claims
// outbox events from the store and POSTs them, signed, to the subscribers
// through an HTTP client that refuses private addresses. The store does not
// import it; the server wires it to the store as its Queue.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"fixgate/internal/metrics"
	"fixgate/internal/webhook"
)

// DeliveryJob names the delivery worker in the job metrics.
const DeliveryJob = "webhooks.deliver"

// Queue is what the worker needs from the database.
type Queue interface {
	// ClaimWebhookJobs leases up to limit due events for lease.
	ClaimWebhookJobs(ctx context.Context, limit int, lease time.Duration) ([]webhook.Job, error)
	// FinishWebhookJob logs the attempts and marks the event delivered, or
	// schedules its retry with webhook.Backoff.
	FinishWebhookJob(ctx context.Context, j webhook.Job, attempts []webhook.Attempt) error
}

// Worker delivers outbox events to subscriptions.
type Worker struct {
	Queue    Queue
	Now      func() time.Time
	Log      *slog.Logger
	Batch    int              // events per claim (default 8)
	Lease    time.Duration    // claim duration (default 10m; far above Batch deliveries of Timeout each)
	Timeout  time.Duration    // per HTTP request (default 10s)
	Interval time.Duration    // between polls in Run (default 2s)
	Metrics  *metrics.Metrics // counts polls and failed polls (nil: not counted)

	once          sync.Once
	strict, loose *http.Client
}

func (w *Worker) init() {
	w.once.Do(func() {
		if w.Batch <= 0 {
			w.Batch = 8
		}
		if w.Lease <= 0 {
			w.Lease = 10 * time.Minute
		}
		if w.Timeout <= 0 {
			w.Timeout = 10 * time.Second
		}
		if w.Interval <= 0 {
			w.Interval = 2 * time.Second
		}
		if w.Now == nil {
			w.Now = time.Now
		}
		if w.Log == nil {
			w.Log = slog.Default()
		}
		w.strict, w.loose = NewClient(false, w.Timeout), NewClient(true, w.Timeout)
	})
}

// Run polls until ctx ends, logging (not returning) database errors.
func (w *Worker) Run(ctx context.Context) {
	w.init()
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		_, err := w.RunOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		w.Metrics.JobRun(DeliveryJob, err)
		if err != nil {
			w.Log.Warn("webhook delivery", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due events, delivers each to its targets (in
// parallel per event) and records the outcome. It returns the number of
// events it handled.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	w.init()
	jobs, err := w.Queue.ClaimWebhookJobs(ctx, w.Batch, w.Lease)
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		atts := make([]webhook.Attempt, len(j.Targets))
		var wg sync.WaitGroup
		for i, sub := range j.Targets {
			wg.Go(func() { atts[i] = w.deliver(ctx, j, sub) })
		}
		wg.Wait()
		if err := w.Queue.FinishWebhookJob(ctx, j, atts); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// deliver POSTs the signed envelope of j to sub once.
func (w *Worker) deliver(ctx context.Context, j webhook.Job, sub webhook.Subscription) webhook.Attempt {
	body, _ := json.Marshal(webhook.Envelope{ID: j.OutboxID, Event: j.Event, CreatedAt: j.CreatedAt, Payload: j.Payload})
	at := w.Now()
	a := webhook.Attempt{WebhookID: sub.ID, At: at}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, strings.NewReader(string(body)))
	if err != nil {
		a.Error = "bad url: " + err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fixgate-webhook/1")
	req.Header.Set(webhook.HeaderEvent, j.Event)
	req.Header.Set(webhook.HeaderDelivery, fmt.Sprintf("%d.%s.%d", j.OutboxID, sub.ID, j.Attempt))
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(sub.Secret, body))
	client := w.strict
	if sub.AllowPrivate {
		client = w.loose
	}
	start := time.Now()
	res, err := client.Do(req)
	a.Duration = time.Since(start)
	if err != nil {
		a.Error = describe(err)
		return a
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	a.StatusCode = res.StatusCode
	switch {
	case res.StatusCode >= 300 && res.StatusCode < 400:
		a.Error = fmt.Sprintf("HTTP %d: redirect to %q not followed (point the webhook at the final URL)", res.StatusCode, res.Header.Get("Location"))
	case res.StatusCode < 200 || res.StatusCode >= 300:
		a.Error = fmt.Sprintf("HTTP %d", res.StatusCode)
		if b := strings.ToValidUTF8(strings.TrimSpace(string(snippet)), "?"); b != "" {
			a.Error += ": " + b
		}
	}
	return a
}

// describe shortens a transport error, keeping the SSRF refusal readable.
func describe(err error) string {
	var re *RefusedError
	if errors.As(err, &re) {
		return re.Error()
	}
	return err.Error()
}

// Ping delivers a webhook.ping event (envelope id 0) to sub once, now,
// with no retry and no log row, so an admin can check a receiver and its
// signature verification.
func (w *Worker) Ping(ctx context.Context, sub webhook.Subscription) webhook.Attempt {
	w.init()
	payload, _ := json.Marshal(map[string]string{"webhook": sub.ID})
	return w.deliver(ctx, webhook.Job{Event: webhook.PingEvent, Payload: payload, CreatedAt: w.Now().UTC(), Attempt: 1}, sub)
}

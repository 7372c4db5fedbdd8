package webhook

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
)

// DeliveryJob names the delivery worker in the job metrics.
const DeliveryJob = "webhooks.deliver"

// Retry policy: after failed attempt n the next comes Backoff(n) later;
// after MaxAttempts the event is given up (its log keeps every attempt).
const (
	MaxAttempts = 10
	FirstDelay  = time.Minute
	MaxDelay    = time.Hour
)

// Backoff returns the wait after failed attempt n (1-based): 1m, 2m, 4m … capped at 1h.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 7 {
		return MaxDelay
	}
	return min(FirstDelay<<(n-1), MaxDelay)
}

// Job is one claimed outbox event with the subscriptions still owed it.
type Job struct {
	OutboxID   int64
	Event      string
	Payload    json.RawMessage
	CreatedAt  time.Time
	Attempt    int       // this attempt's number, 1-based
	LeaseUntil time.Time // the claim; Finish is refused once another worker took it
	Targets    []Subscription
}

// Attempt is one delivery of one job to one subscription (a log row).
type Attempt struct {
	WebhookID  string
	StatusCode int // 0 when no HTTP answer
	Error      string
	At         time.Time
	Duration   time.Duration
}

// OK reports a 2xx answer.
func (a Attempt) OK() bool { return a.Error == "" && a.StatusCode >= 200 && a.StatusCode < 300 }

// Queue is what the worker needs from the database.
type Queue interface {
	// ClaimWebhookJobs leases up to limit due events for lease.
	ClaimWebhookJobs(ctx context.Context, limit int, lease time.Duration) ([]Job, error)
	// FinishWebhookJob logs the attempts and marks the event delivered, or
	// schedules its retry with Backoff.
	FinishWebhookJob(ctx context.Context, j Job, attempts []Attempt) error
}

// Envelope is the JSON body of a delivery.
type Envelope struct {
	ID        int64           `json:"id"` // the event id: the same on every retry (receivers de-duplicate on it)
	Event     string          `json:"event"`
	CreatedAt time.Time       `json:"created_at"`
	Payload   json.RawMessage `json:"payload"`
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
		atts := make([]Attempt, len(j.Targets))
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
func (w *Worker) deliver(ctx context.Context, j Job, sub Subscription) Attempt {
	body, _ := json.Marshal(Envelope{ID: j.OutboxID, Event: j.Event, CreatedAt: j.CreatedAt, Payload: j.Payload})
	at := w.Now()
	a := Attempt{WebhookID: sub.ID, At: at}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, strings.NewReader(string(body)))
	if err != nil {
		a.Error = "bad url: " + err.Error()
		return a
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "fixgate-webhook/1")
	req.Header.Set(HeaderEvent, j.Event)
	req.Header.Set(HeaderDelivery, fmt.Sprintf("%d.%s.%d", j.OutboxID, sub.ID, j.Attempt))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(sub.Secret, body))
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

// PingEvent is the event of a test delivery.
const PingEvent = "webhook.ping"

// Ping delivers a webhook.ping event (envelope id 0) to sub once, now,
// with no retry and no log row, so an admin can check a receiver and its
// signature verification.
func (w *Worker) Ping(ctx context.Context, sub Subscription) Attempt {
	w.init()
	payload, _ := json.Marshal(map[string]string{"webhook": sub.ID})
	return w.deliver(ctx, Job{Event: PingEvent, Payload: payload, CreatedAt: w.Now().UTC(), Attempt: 1}, sub)
}

package store_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
	"fixgate/internal/webhook/delivery"
)

var admin = audit.Actor{User: "admin", Role: "admin"}

// receiver is an httptest server that verifies signatures and counts deliveries per event id.
type receiver struct {
	*httptest.Server
	secret  string
	status  atomic.Int32
	mu      sync.Mutex
	got     map[int64]int
	badSigs int
	headers http.Header
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{got: map[int64]int{}}
	r.status.Store(204)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var env webhook.Envelope
		json.Unmarshal(body, &env)
		r.mu.Lock()
		if !webhook.Verify(r.secret, body, req.Header.Get(webhook.HeaderSignature)) {
			r.badSigs++
		}
		r.got[env.ID]++
		r.headers = req.Header.Clone()
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[id]
}

func worker(s *store.Store) *delivery.Worker {
	return &delivery.Worker{Queue: s, Now: s.Now, Timeout: 3 * time.Second}
}

func mustWebhook(t *testing.T, s *store.Store, w webhook.Subscription) webhook.Subscription {
	t.Helper()
	out, err := s.CreateWebhook(context.Background(), admin, w)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func deliveries(t *testing.T, s *store.Store, id string) []store.WebhookDelivery {
	t.Helper()
	n, _ := webhook.Kind.Parse("id", id)
	ds, err := s.ListWebhookDeliveries(context.Background(), n, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestWebhookSignedDelivery: a real receiver verifies the HMAC of the body
// with the generated secret; only subscriptions wanting the event get it;
// a delivered event is not delivered again.
func TestWebhookSignedDelivery(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	rcv := newReceiver(t)
	w := mustWebhook(t, s, webhook.Subscription{URL: rcv.URL + "/hook", Events: []string{"problem.recurred"}, Active: true, AllowPrivate: true})
	if len(w.Secret) < 32 {
		t.Fatalf("secret not generated: %q", w.Secret)
	}
	rcv.secret = w.Secret
	other := mustWebhook(t, s, webhook.Subscription{URL: rcv.URL + "/other", Events: []string{"gate.blocked"}, Active: true, AllowPrivate: true})
	if b, _ := json.Marshal(w); strings.Contains(string(b), w.Secret) {
		t.Fatal("the secret is encoded in JSON")
	}
	id, err := s.Notify(ctx, admin, "problem.recurred", map[string]any{"problem": "PRB-1"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := worker(s).RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce: %d %v", n, err)
	}
	if rcv.count(id) != 1 || rcv.badSigs != 0 {
		t.Fatalf("deliveries %v, bad signatures %d", rcv.got, rcv.badSigs)
	}
	if h := rcv.headers; h.Get(webhook.HeaderEvent) != "problem.recurred" || h.Get(webhook.HeaderDelivery) == "" || h.Get(webhook.HeaderTimestamp) == "" {
		t.Fatalf("headers %v", h)
	}
	ds := deliveries(t, s, w.ID)
	if len(ds) != 1 || ds[0].StatusCode != 204 || ds[0].Error != "" || ds[0].Attempt != 1 || ds[0].Event != "problem.recurred" {
		t.Fatalf("log %+v", ds)
	}
	if len(deliveries(t, s, other.ID)) != 0 {
		t.Fatal("a subscription that does not want the event got it")
	}
	if n, _ := worker(s).RunOnce(ctx); n != 0 || rcv.count(id) != 1 {
		t.Fatalf("delivered again: %d jobs, %d deliveries", n, rcv.count(id))
	}
}

// TestWebhookRefusesLoopback: without allow_private the dial to 127.0.0.1
// is refused, the receiver sees nothing and the log says why; a redirect
// (even to loopback) is not followed.
func TestWebhookRefusesLoopback(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	rcv := newReceiver(t)
	// The URL names a host, not an IP literal, so creation passes and the dial-time guard is what refuses.
	host := strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)
	w := mustWebhook(t, s, webhook.Subscription{URL: host, Events: []string{"*"}, Active: true})
	id, _ := s.Notify(ctx, admin, "incident.opened", map[string]any{})
	worker(s).RunOnce(ctx)
	ds := deliveries(t, s, w.ID)
	if rcv.count(id) != 0 || len(ds) != 1 || ds[0].StatusCode != 0 || !strings.Contains(ds[0].Error, "loopback address (allow_private is off)") {
		t.Fatalf("got %d deliveries, log %+v", rcv.count(id), ds)
	}
	// An IP literal is refused at creation.
	_, err := s.CreateWebhook(ctx, admin, webhook.Subscription{URL: rcv.URL, Events: []string{"*"}, Active: true})
	if fe := fault.As(err); fe == nil || fe.Field != "url" {
		t.Fatalf("loopback literal: %v", err)
	}
	// A public-looking receiver that redirects to loopback: the redirect is not followed.
	redirect := httptest.NewServer(http.RedirectHandler(rcv.URL+"/internal", http.StatusFound))
	defer redirect.Close()
	r := mustWebhook(t, s, webhook.Subscription{URL: redirect.URL, Events: []string{"*"}, Active: true, AllowPrivate: true})
	id2, _ := s.Notify(ctx, admin, "incident.opened", map[string]any{})
	worker(s).RunOnce(ctx)
	ds = deliveries(t, s, r.ID)
	if rcv.count(id2) != 0 || len(ds) != 1 || ds[0].StatusCode != 302 || !strings.Contains(ds[0].Error, "not followed") {
		t.Fatalf("redirect: %d deliveries, log %+v", rcv.count(id2), ds)
	}
}

// TestWebhookRetryBackoff: failures retry after 1m, 2m, 4m … (injected
// clock), nothing is retried early, a success ends the retries, and an
// event is given up after MaxAttempts.
func TestWebhookRetryBackoff(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	rcv := newReceiver(t)
	rcv.status.Store(500)
	w := mustWebhook(t, s, webhook.Subscription{URL: rcv.URL, Events: []string{"*"}, Active: true, AllowPrivate: true})
	rcv.secret = w.Secret
	id, _ := s.Notify(ctx, admin, "problem.ready_to_close", map[string]any{})
	wk := worker(s)
	for attempt := 1; attempt <= 3; attempt++ {
		if n, _ := wk.RunOnce(ctx); n != 1 {
			t.Fatalf("attempt %d not due", attempt)
		}
		clock.Advance(webhook.Backoff(attempt) - time.Second)
		if n, _ := wk.RunOnce(ctx); n != 0 {
			t.Fatalf("attempt %d retried before its backoff", attempt)
		}
		clock.Advance(time.Second)
	}
	if webhook.Backoff(1) != time.Minute || webhook.Backoff(3) != 4*time.Minute || webhook.Backoff(9) != time.Hour {
		t.Fatal("backoff schedule")
	}
	rcv.status.Store(200)
	wk.RunOnce(ctx)
	clock.Advance(2 * time.Hour)
	if n, _ := wk.RunOnce(ctx); n != 0 {
		t.Fatal("retried after success")
	}
	ds := deliveries(t, s, w.ID)
	if len(ds) != 4 || ds[3].Attempt != 4 || ds[3].StatusCode != 200 || ds[0].Error != "HTTP 500" || rcv.count(id) != 4 {
		t.Fatalf("log %+v", ds)
	}
	// Give up after MaxAttempts.
	rcv.status.Store(503)
	s.Notify(ctx, admin, "problem.ready_to_close", map[string]any{})
	for range webhook.MaxAttempts + 3 {
		wk.RunOnce(ctx)
		clock.Advance(2 * time.Hour)
	}
	if got := len(deliveries(t, s, w.ID)) - 4; got != webhook.MaxAttempts {
		t.Fatalf("%d attempts, want %d", got, webhook.MaxAttempts)
	}
}

// TestWebhookConcurrentWorkers: two workers on the same database deliver
// each event exactly once.
func TestWebhookConcurrentWorkers(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	rcv := newReceiver(t)
	w := mustWebhook(t, s, webhook.Subscription{URL: rcv.URL, Events: []string{"*"}, Active: true, AllowPrivate: true})
	rcv.secret = w.Secret
	const events = 40
	for i := range events {
		if _, err := s.Notify(ctx, admin, "signal.received", map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		wk := worker(s)
		wk.Batch = 3
		wg.Go(func() {
			for {
				n, err := wk.RunOnce(ctx)
				if err != nil {
					if fault.CodeOf(err) == fault.Unavailable {
						continue
					}
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != events || rcv.badSigs != 0 {
		t.Fatalf("%d distinct events delivered, want %d", len(rcv.got), events)
	}
	for id, n := range rcv.got {
		if n != 1 {
			t.Errorf("event %d delivered %d times", id, n)
		}
	}
}

// TestWebhookCRUD: validation names fields, updates check revisions and
// are audited, a deleted subscription gets nothing and keeps its log.
func TestWebhookCRUD(t *testing.T) {
	s, _ := storetest.Open(t)
	ctx := context.Background()
	for _, bad := range []struct {
		w     webhook.Subscription
		field string
	}{
		{webhook.Subscription{URL: "ftp://x.example", Events: []string{"*"}}, "url"},
		{webhook.Subscription{URL: "https://u:p@x.example", Events: []string{"*"}}, "url"},
		{webhook.Subscription{URL: "https://10.1.2.3/h", Events: []string{"*"}}, "url"},
		{webhook.Subscription{URL: "https://x.example", Events: nil}, "events"},
		{webhook.Subscription{URL: "https://x.example", Events: []string{"Problem Recurred"}}, "events"},
		{webhook.Subscription{URL: "https://x.example", Events: []string{"*"}, Secret: "short"}, "secret"},
	} {
		_, err := s.CreateWebhook(ctx, admin, bad.w)
		if fe := fault.As(err); fe == nil || fe.Field != bad.field {
			t.Errorf("%+v: %v, want field %s", bad.w, err, bad.field)
		}
	}
	if l, _ := s.ListWebhooks(ctx, store.Page{}); len(l) != 0 {
		t.Fatal("a refused webhook was stored")
	}
	w := mustWebhook(t, s, webhook.Subscription{URL: "https://hooks.example/x", Events: []string{"b.x", "a.y", "b.x"}, Secret: "0123456789abcdef", Active: true})
	if strings.Join(w.Events, ",") != "a.y,b.x" || w.Secret != "0123456789abcdef" {
		t.Fatalf("%+v", w)
	}
	n, _ := webhook.Kind.Parse("id", w.ID)
	if _, err := s.UpdateWebhook(ctx, admin, n, 7, func(x *webhook.Subscription) error { x.Active = false; return nil }); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale revision: %v", err)
	}
	u, err := s.UpdateWebhook(ctx, admin, n, 1, func(x *webhook.Subscription) error { x.Active = false; return nil })
	if err != nil || u.Active || u.Revision != 2 {
		t.Fatalf("%+v %v", u, err)
	}
	evs, err := s.AuditEventsFor(ctx, "webhook", w.ID, 100)
	if err != nil || len(evs) != 2 || strings.Contains(evs[0].After, "0123456789abcdef") {
		t.Fatalf("audit %+v %v", evs, err)
	}
	if err := s.DeleteWebhook(ctx, admin, n, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhook(ctx, n); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("deleted webhook still readable: %v", err)
	}
	if _, err := s.ListWebhookDeliveries(ctx, n, store.Page{}); err != nil {
		t.Fatalf("log of a deleted webhook: %v", err)
	}
}

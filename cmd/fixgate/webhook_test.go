package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/api"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
	"fixgate/internal/webhook/delivery"
)

// receiver records the deliveries it gets and answers status.
type receiver struct {
	mu     sync.Mutex
	got    []delivered
	status atomic.Int32
}

type delivered struct {
	event, sig string
	body       []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, delivered{req.Header.Get(webhook.HeaderEvent), req.Header.Get(webhook.HeaderSignature), b})
	r.mu.Unlock()
	w.WriteHeader(int(r.status.Load()))
}

func (r *receiver) last(t *testing.T) delivered {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.got) == 0 {
		t.Fatal("the receiver got nothing")
	}
	return r.got[len(r.got)-1]
}

var secretLine = regexp.MustCompile(`(?m)^secret:\s+(whsec_[0-9a-f]+)$`)

// TestWebhookAndSignalCLI: a webhook created with the CLI is listed,
// pinged (signed with the secret printed once), receives a real event whose
// signal `signal list` shows and whose delivery `webhook deliveries` logs,
// is updated with its revision, has its secret rotated, and is deleted.
func TestWebhookAndSignalCLI(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	rcv := &receiver{}
	rcv.status.Store(204)
	hook := httptest.NewServer(rcv)
	t.Cleanup(hook.Close)
	as := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"--url", srv.URL, "--token", "fgt_admin"}, args...)...)
	}

	code, out, errs := as("webhook", "create", hook.URL+"/fixgate", "--event", "*", "--allow-private", "--description", "chat")
	m := secretLine.FindStringSubmatch(out)
	if code != 0 || m == nil || !strings.Contains(out, "WH-1") || !strings.Contains(out, "shown once") {
		t.Fatalf("create: %d %q %q", code, out, errs)
	}
	secret := m[1]
	code, out, _ = as("webhook", "list")
	if code != 0 || !strings.Contains(out, "WH-1") || !strings.Contains(out, hook.URL+"/fixgate") || strings.Contains(out, secret) {
		t.Fatalf("list: %d %q", code, out)
	}
	code, out, _ = as("webhook", "show", "WH-1")
	if code != 0 || !strings.Contains(out, "chat") || strings.Contains(out, "whsec_") {
		t.Fatalf("show: %d %q", code, out)
	}

	code, out, errs = as("webhook", "ping", "WH-1")
	if code != 0 || !strings.Contains(out, "ok:") || !strings.Contains(out, "204") {
		t.Fatalf("ping: %d %q %q", code, out, errs)
	}
	if d := rcv.last(t); d.event != webhook.PingEvent || !webhook.Verify(secret, d.body, d.sig) {
		t.Fatalf("ping delivery not signed with the printed secret: %+v", d)
	}
	rcv.status.Store(500)
	code, _, errs = as("webhook", "ping", "WH-1")
	if code != 1 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "500") {
		t.Fatalf("ping refused: %d %q", code, errs)
	}
	rcv.status.Store(204)

	// a real event: an alert arrives, the worker delivers signal.received
	lbls := map[string]string{"alertname": "HighErrorRate", "service": "checkout-api"}
	body, _ := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": "firing", "receiver": "fixgate",
		"alerts": []map[string]any{{"status": "firing", "labels": lbls, "startsAt": clock.Now().Add(-time.Minute).Format(time.RFC3339),
			"endsAt": "0001-01-01T00:00:00Z", "fingerprint": alertmanager.Fingerprint(lbls)}}})
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/hooks/alertmanager", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer fgt_admin")
	req.Header.Set("Content-Type", "application/json")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("alertmanager hook: %v %v", res, err)
	}
	code, out, _ = as("signal", "list")
	if code != 0 || !strings.Contains(out, "HighErrorRate") || !strings.Contains(out, alertmanager.Fingerprint(lbls)) || !strings.Contains(out, "firing") {
		t.Fatalf("signal list: %d %q", code, out)
	}
	code, out, _ = as("-o", "json", "signal", "list", "--fingerprint", "0000000000000000")
	if code != 0 || !strings.Contains(out, `"items": []`) {
		t.Fatalf("signal list other fingerprint: %d %q", code, out)
	}
	code, _, errs = as("signal", "list", "--problem", "nonsense")
	oneLineErr(t, "signal list bad problem", code, errs, "problem")

	if n, err := (&delivery.Worker{Queue: s, Now: clock.Now}).RunOnce(ctx); err != nil || n == 0 {
		t.Fatalf("worker: %d %v", n, err)
	}
	code, out, _ = as("webhook", "deliveries", "WH-1")
	if code != 0 || !strings.Contains(out, "signal.received") || !strings.Contains(out, "204") {
		t.Fatalf("deliveries: %d %q", code, out)
	}
	rcv.mu.Lock()
	events := map[string]bool{}
	for _, d := range rcv.got {
		if !webhook.Verify(secret, d.body, d.sig) {
			t.Fatalf("delivery %s not signed with the printed secret", d.event)
		}
		events[d.event] = true
	}
	rcv.mu.Unlock()
	if !events["signal.received"] {
		t.Fatalf("the receiver got no signal.received: %v", events)
	}

	code, out, errs = as("webhook", "update", "WH-1", "--description", "paging", "--active=false", "--event", "problem.recurred",
		"--target", hook.URL+"/v2")
	if code != 0 || !strings.Contains(out, "paging") || !strings.Contains(out, hook.URL+"/v2") || !regexp.MustCompile(`(?m)^active:\s+false$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^revision:\s+2$`).MatchString(out) || !strings.Contains(out, "problem.recurred") || strings.Contains(out, "secret") {
		t.Fatalf("update: %d %q %q", code, out, errs)
	}
	code, out, errs = as("webhook", "update", "WH-1", "--rotate-secret")
	m = secretLine.FindStringSubmatch(out)
	if code != 0 || m == nil || m[1] == secret {
		t.Fatalf("rotate: %d %q %q", code, out, errs)
	}
	if code, _, errs = as("webhook", "ping", "WH-1"); code != 0 {
		t.Fatalf("ping after rotation: %d %q", code, errs)
	}
	if d := rcv.last(t); !webhook.Verify(m[1], d.body, d.sig) || webhook.Verify(secret, d.body, d.sig) {
		t.Fatal("the ping after rotation is not signed with the new secret alone")
	}

	code, _, errs = as("webhook", "update", "WH-1")
	oneLineErr(t, "update without flags", code, errs, "nothing to change")
	code, _, errs = as("webhook", "update", "WH-1", "--secret", "short")
	oneLineErr(t, "short secret", code, errs, "secret")
	code, _, errs = as("webhook", "create", "ftp://x", "--event", "*")
	oneLineErr(t, "bad url", code, errs, "url")
	code, _, errs = as("webhook", "create", hook.URL)
	oneLineErr(t, "no event", code, errs, "event")

	code, out, errs = as("webhook", "delete", "WH-1")
	if code != 0 || !strings.Contains(out, "WH-1") || !strings.Contains(out, "true") {
		t.Fatalf("delete: %d %q %q", code, out, errs)
	}
	code, _, errs = as("webhook", "show", "WH-1")
	oneLineErr(t, "show deleted", code, errs, "WH-1")
	if code, out, _ = as("webhook", "deliveries", "WH-1"); code != 0 || !strings.Contains(out, "signal.received") {
		t.Fatalf("deliveries of a deleted webhook: %d %q", code, out)
	}
	code, _, errs = as("webhook", "delete", "WH-1")
	oneLineErr(t, "delete twice", code, errs, "WH-1")
}

package driver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/policy"
)

const secret = "drv-secret-0123456789"

// receiver is a webhook target that answers each request with the next
// status of its script (the last one repeats) and keeps what it received.
type receiver struct {
	mu       sync.Mutex
	statuses []int
	delay    time.Duration
	got      []*http.Request
	bodies   [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	n := len(rc.got)
	rc.got, rc.bodies = append(rc.got, r), append(rc.bodies, b)
	status := rc.statuses[min(n, len(rc.statuses)-1)]
	rc.mu.Unlock()
	select {
	case <-time.After(rc.delay):
	case <-r.Context().Done():
		return
	}
	w.WriteHeader(status)
	io.WriteString(w, "answer "+strconv.Itoa(n+1))
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// hook starts rc and returns a webhook driver posting to it.
func hook(t *testing.T, rc *receiver, timeout time.Duration) Driver {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	d, err := New("hook", policy.Driver{Webhook: &policy.WebhookDriver{URL: srv.URL + "/deploy", SecretEnv: "HOOK_SECRET",
		Timeout: policy.Duration(timeout)}}, Options{AllowPrivate: true, Getenv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fakeEnv(k string) string {
	if k == "HOOK_SECRET" {
		return secret
	}
	return ""
}

// TestWebhookSigned: a receiver holding the secret verifies the signature
// over the raw body, the body's sent_at equals the timestamp header, and
// the body carries the action.
func TestWebhookSigned(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusAccepted}}
	log, err := hook(t, rc, 0).Run(context.Background(), action)
	if err != nil {
		t.Fatal(err)
	}
	if rc.count() != 1 || !strings.HasPrefix(log, "attempt 1/3: HTTP 202 in ") || !strings.HasSuffix(log, ": answer 1\n") {
		t.Fatalf("%d requests, log %q", rc.count(), log)
	}
	r, b := rc.got[0], rc.bodies[0]
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(b)
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); r.Header.Get("X-Fixgate-Signature") != want {
		t.Fatalf("signature %q, want %q", r.Header.Get("X-Fixgate-Signature"), want)
	}
	var got struct {
		Action
		SentAt int64 `json:"sent_at"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Action != action || strconv.FormatInt(got.SentAt, 10) != r.Header.Get("X-Fixgate-Timestamp") ||
		time.Since(time.Unix(got.SentAt, 0)) > time.Minute {
		t.Fatalf("body %s, timestamp header %q", b, r.Header.Get("X-Fixgate-Timestamp"))
	}
	for h, want := range map[string]string{"Content-Type": "application/json", "Fixgate-Idempotency-Key": action.Key,
		"X-Fixgate-Event": "driver.rollback", "X-Fixgate-Delivery": action.Key + ".1"} {
		if r.Header.Get(h) != want {
			t.Errorf("%s = %q, want %q", h, r.Header.Get(h), want)
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/deploy" {
		t.Fatalf("%s %s", r.Method, r.URL.Path)
	}
}

func TestWebhookRetriesThenSucceeds(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusServiceUnavailable, http.StatusOK}}
	start := time.Now()
	log, err := hook(t, rc, 0).Run(context.Background(), action)
	if err != nil {
		t.Fatal(err, log)
	}
	if rc.count() != 2 || time.Since(start) < RetryBase {
		t.Fatalf("%d requests in %s", rc.count(), time.Since(start))
	}
	if !strings.Contains(log, "attempt 1/3: HTTP 503") || !strings.Contains(log, "answer 1\nattempt 2/3: HTTP 200") {
		t.Fatalf("log %q", log)
	}
	if k := rc.got[1].Header.Get("Fixgate-Idempotency-Key"); k != action.Key {
		t.Fatalf("retry's key %q", k)
	}
}

func TestWebhookGivesUpAfterAttempts(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusBadGateway}}
	log, err := hook(t, rc, 0).Run(context.Background(), action)
	if err == nil || rc.count() != Attempts || !strings.Contains(err.Error(), "HTTP 502") || strings.Count(log, "HTTP 502") != Attempts {
		t.Fatalf("err %v, %d requests, log %q", err, rc.count(), log)
	}
}

func TestWebhookClientErrorNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusFound} {
		rc := &receiver{statuses: []int{status, http.StatusOK}}
		log, err := hook(t, rc, 0).Run(context.Background(), action)
		if err == nil || rc.count() != 1 || !strings.Contains(err.Error(), "HTTP "+strconv.Itoa(status)) || !strings.Contains(log, "answer 1") {
			t.Fatalf("status %d: err %v, %d requests, log %q", status, err, rc.count(), log)
		}
	}
}

func TestWebhookTimeout(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusOK}, delay: 5 * time.Second}
	start := time.Now()
	_, err := hook(t, rc, 300*time.Millisecond).Run(context.Background(), action)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Fatalf("err = %v", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Run took %s", took)
	}
}

// TestWebhookPrivateRefused: without AllowPrivate a loopback literal is
// refused by New, and a name resolving to loopback is refused when
// dialing, once, without a retry.
func TestWebhookPrivateRefused(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusOK}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p := policy.WebhookDriver{URL: srv.URL, SecretEnv: "HOOK_SECRET"}
	if _, err := New("hook", policy.Driver{Webhook: &p}, Options{Getenv: fakeEnv}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("New(%s) err = %v", p.URL, err)
	}
	p.URL = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	d, err := New("hook", policy.Driver{Webhook: &p}, Options{Getenv: fakeEnv})
	if err != nil {
		t.Fatal(err)
	}
	log, err := d.Run(context.Background(), action)
	if err == nil || !strings.Contains(err.Error(), "refused to connect") || strings.Count(log, "attempt") != 1 || rc.count() != 0 {
		t.Fatalf("err %v, log %q, %d requests", err, log, rc.count())
	}
}

// TestWebhookNoRetryPastDeadline: a retry whose backoff would end after
// the timeout is not waited for.
func TestWebhookNoRetryPastDeadline(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusServiceUnavailable}}
	start := time.Now()
	_, err := hook(t, rc, 500*time.Millisecond).Run(context.Background(), action)
	took := time.Since(start)
	if err == nil || rc.count() != 2 || !strings.Contains(err.Error(), "attempt 2/3: HTTP 503") ||
		!strings.Contains(err.Error(), "leaves no time for attempt 3") || took > 450*time.Millisecond {
		t.Fatalf("err %v, %d requests in %s", err, rc.count(), took)
	}
}

// TestWebhookOwnClient: Options.HTTPClient replaces the guarded client,
// so a name resolving to loopback is reached without AllowPrivate.
func TestWebhookOwnClient(t *testing.T) {
	rc := &receiver{statuses: []int{http.StatusNoContent}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	p := policy.WebhookDriver{URL: strings.Replace(srv.URL, "127.0.0.1", "localhost", 1), SecretEnv: "HOOK_SECRET"}
	d, err := New("hook", policy.Driver{Webhook: &p}, Options{Getenv: fakeEnv, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if log, err := d.Run(context.Background(), action); err != nil || rc.count() != 1 || !strings.Contains(log, "HTTP 204") {
		t.Fatalf("err %v, %d requests, log %q", err, rc.count(), log)
	}
}

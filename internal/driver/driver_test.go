package driver

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

func TestNewRefuses(t *testing.T) {
	hook := func(url, env string) *policy.WebhookDriver {
		return &policy.WebhookDriver{URL: url, SecretEnv: env}
	}
	for _, c := range []struct {
		d    policy.Driver
		want string
	}{
		{policy.Driver{}, "exactly one of exec, webhook or reported (it sets 0)"},
		{policy.Driver{Exec: &policy.ExecDriver{Command: []string{"true"}}, Reported: &policy.ReportedDriver{}}, "(it sets 2)"},
		{policy.Driver{Exec: &policy.ExecDriver{}}, "exec.command is required"},
		{policy.Driver{Webhook: hook("https://deploy.example.com/x", "")}, "secret_env is required"},
		{policy.Driver{Webhook: hook("https://deploy.example.com/x", "UNSET_SECRET")}, "UNSET_SECRET is unset or empty"},
		{policy.Driver{Webhook: hook("https://deploy.example.com/x", "EMPTY_SECRET")}, "EMPTY_SECRET is unset or empty"},
		{policy.Driver{Webhook: hook("ftp://deploy.example.com/x", "HOOK_SECRET")}, "absolute http:// or https:// URL"},
		{policy.Driver{Webhook: hook("https://u:p@deploy.example.com/x", "HOOK_SECRET")}, "must not carry credentials"},
		{policy.Driver{Webhook: hook("http://169.254.169.254/latest", "HOOK_SECRET")}, "link-local address"},
	} {
		_, err := New("d1", c.d, Options{Getenv: fakeEnv})
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid || fe.Field != "driver" || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), `"d1"`) {
			t.Errorf("New(%+v) err = %v, want Invalid driver error with %q", c.d, err, c.want)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	e, err := New("e", policy.Driver{Exec: &policy.ExecDriver{Command: []string{"true"}}}, Options{})
	if err != nil || e.(*Exec).Timeout() != DefaultExecTimeout {
		t.Fatalf("exec: %v %v", e, err)
	}
	w, err := New("w", policy.Driver{Webhook: &policy.WebhookDriver{URL: "http://10.0.0.1/x", SecretEnv: "HOOK_SECRET",
		Timeout: policy.Duration(2 * time.Second)}}, Options{Getenv: fakeEnv, AllowPrivate: true})
	if err != nil || w.(*Webhook).Timeout() != 2*time.Second {
		t.Fatalf("webhook: %v %v", w, err)
	}
	w, err = New("w", policy.Driver{Webhook: &policy.WebhookDriver{URL: "https://deploy.example.com", SecretEnv: "HOOK_SECRET"}}, Options{Getenv: fakeEnv})
	if err != nil || w.(*Webhook).Timeout() != DefaultWebhookTimeout {
		t.Fatalf("webhook: %v %v", w, err)
	}
}

func TestReported(t *testing.T) {
	d, err := New("r", policy.Driver{Reported: &policy.ReportedDriver{}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(Reported); !ok {
		t.Fatalf("New returned %T", d)
	}
	if log, err := d.Run(context.Background(), action); !errors.Is(err, ErrReported) || log != "" {
		t.Fatalf("Run = %q, %v", log, err)
	}
}

func TestEnv(t *testing.T) {
	want := []string{"FIXGATE_ACTION=rollback", "FIXGATE_DEPLOYMENT=DEP-7", "FIXGATE_RELEASE=REL-3", "FIXGATE_VERSION=1.4.2",
		"FIXGATE_PREVIOUS_VERSION=1.4.1", "FIXGATE_ENV=prod-eu", "FIXGATE_STAGE=canary", "FIXGATE_WEIGHT=10",
		"FIXGATE_IDEMPOTENCY_KEY=DEP-7/rollback/canary/4"}
	if got := Env(action); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Env = %q", got)
	}
	if got := Env(Action{Kind: Deploy}); got[4] != "FIXGATE_PREVIOUS_VERSION=" || got[7] != "FIXGATE_WEIGHT=0" {
		t.Fatalf("Env of a bare action = %q", got)
	}
}

// TestCappedStorable: the log is valid UTF-8 without NUL even when the
// output is binary, and the cap counts what it dropped.
func TestCappedStorable(t *testing.T) {
	c := &capped{max: 6}
	c.Write([]byte("a\x00b\xff"))
	c.Write([]byte("cdef"))
	if got := c.String(); got != "a\uFFFDb\uFFFDcd\n[fixgate: log capped at 6 bytes, 2 more bytes dropped]\n" {
		t.Fatalf("String = %q", got)
	}
}

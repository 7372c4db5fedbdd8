package webhook

import (
	"net/netip"
	"testing"
	"time"
)

// TestSignMatchesOpenSSL: the signature is what docs/integrations.md's
// openssl line computes for the same body and secret.
func TestSignMatchesOpenSSL(t *testing.T) {
	// printf '{"id":1}' | openssl dgst -sha256 -hmac s3cret -hex
	const want = "sha256=63ddab34da5838e383545e9c90b40f74a4e3daabc5dd9a8d49a51875ad4b2418"
	if got := Sign("s3cret", []byte(`{"id":1}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if !Verify("s3cret", []byte(`{"id":1}`), want) || Verify("other", []byte(`{"id":1}`), want) ||
		Verify("s3cret", []byte(`{"id":2}`), want) || Verify("s3cret", []byte(`{"id":1}`), want[7:]) {
		t.Fatal("Verify")
	}
}

func TestForbidden(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
		"fd00::1": "private", "169.254.169.254": "link-local", "fe80::1": "link-local", "0.0.0.0": "unspecified", "::": "unspecified",
		"224.0.0.1": "multicast", "ff02::1": "multicast", "::ffff:127.0.0.1": "loopback", "100.64.0.1": "shared (carrier-grade NAT)",
		"93.184.216.34": "", "2606:4700::1111": "",
	} {
		if got := Forbidden(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Forbidden(%s) = %q, want %q", addr, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %s, want %s", i+1, got, w)
		}
	}
}

func TestValidate(t *testing.T) {
	s := Subscription{URL: " https://hooks.example/x ", Events: []string{"b.c", "*", "a.b"}}
	if err := s.Validate(); err != nil || s.URL != "https://hooks.example/x" || len(s.Events) != 1 || s.Events[0] != "*" {
		t.Fatalf("%+v %v", s, err)
	}
	if !s.Matches("anything.at_all") {
		t.Fatal("* matches every event")
	}
	p := Subscription{URL: "http://127.0.0.1:9/x", Events: []string{"problem.recurred"}, AllowPrivate: true}
	if err := p.Validate(); err != nil || p.Matches("problem.closed") || !p.Matches("problem.recurred") {
		t.Fatalf("%+v %v", p, err)
	}
}

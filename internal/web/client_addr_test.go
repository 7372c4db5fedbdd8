package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

func TestClientAddr(t *testing.T) {
	trusted, bad := ParseTrustedProxies([]string{"10.0.0.0/8", " 192.0.2.7", "", "::1"})
	if bad != "" {
		t.Fatalf("refused %q", bad)
	}
	if _, bad := ParseTrustedProxies([]string{"10.0.0.0/8", "proxy.example"}); bad != "proxy.example" {
		t.Fatalf("accepted a host name (%q)", bad)
	}
	for _, c := range []struct {
		peer string
		xff  []string
		want string
	}{
		{"203.0.113.9:5000", nil, "203.0.113.9"},
		{"203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},                     // an untrusted peer's header is ignored
		{"10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},                       // one trusted proxy
		{"10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},              // what the client wrote first is not trusted
		{"10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1, 192.0.2.7"}, "198.51.100.1"}, // two proxies, two headers
		{"10.1.2.3:5000", []string{"198.51.100.1, garbage"}, "10.1.2.3"},                  // a bad entry stops at the last trusted hop
		{"10.1.2.3:5000", []string{"10.9.9.9"}, "10.9.9.9"},                               // only proxies: the farthest
		{"10.1.2.3:5000", nil, "10.1.2.3"},
		{"[::1]:5000", []string{"2001:db8::5"}, "2001:db8::5"},
		{"[::ffff:10.1.2.3]:5000", []string{"::ffff:198.51.100.1"}, "198.51.100.1"},
	} {
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := clientAddr(r, trusted); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
		if got := clientAddr(r, nil); !strings.HasPrefix(c.peer, "["+got+"]") && !strings.HasPrefix(c.peer, got+":") {
			t.Errorf("no trusted proxy: %s, want the peer %s", got, c.peer)
		}
	}
}

// TestLoginLimitBehindTrustedProxy: behind a trusted proxy each client's
// failures count for its own address, not for everyone behind the proxy,
// and the refusal names the client's address.
func TestLoginLimitBehindTrustedProxy(t *testing.T) {
	tw := newTestWeb(t)
	tw.web.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	b := tw.browser()
	try := func(user, pw, from string, want int) {
		t.Helper()
		form := url.Values{"username": {user}, "password": {pw}}
		req, _ := http.NewRequest("POST", tw.http.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("X-Forwarded-For", from)
		if p := b.do(req); p.status != want {
			t.Fatalf("sign-in as %s from %s: %d, want %d", user, from, p.status, want)
		}
	}
	for i := range addrFree {
		try("ghost"+strconv.Itoa(i), "wrong password!", "198.51.100.7", http.StatusUnauthorized)
	}
	try("cab", testPassword, "198.51.100.7", http.StatusTooManyRequests)
	try("cab", testPassword, "198.51.100.8", http.StatusSeeOther) // another client behind the same proxy
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /login", 100)
	if err != nil || !strings.Contains(string(evs[len(evs)-1].After), "from 198.51.100.7") {
		t.Fatalf("the refusal does not name the client's address: %v", err)
	}
}

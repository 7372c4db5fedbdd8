package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSignInShowsDashboardAndSignOutEndsSession(t *testing.T) {
	tw := newTestWeb(t)
	anon := tw.browser()
	if p := anon.get("/"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("dashboard without a session: %d %s", p.status, p.header.Get("Location"))
	}
	b := tw.signIn("pm")
	p := b.get("/")
	if p.status != 200 || !strings.Contains(p.body, "pm") {
		t.Fatalf("dashboard: %d %s", p.status, p.body)
	}
	for _, h := range []string{"Content-Security-Policy", "Referrer-Policy", "X-Content-Type-Options", "Strict-Transport-Security"} {
		if p.header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if strings.Contains(p.header.Get("Content-Security-Policy"), "unsafe-inline") || !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("CSP: %s", p.header.Get("Content-Security-Policy"))
	}
	if p := b.post("/logout", nil); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", p.status, p.body)
	}
	if p := b.get("/"); p.status != http.StatusSeeOther {
		t.Fatalf("dashboard after sign-out: %d", p.status)
	}
}

func TestWrongPasswordIsRefusedAndAudited(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.browser()
	p := b.post("/login", url.Values{"username": {"pm"}, "password": {"not the password"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong username or password") {
		t.Fatalf("wrong password: %d %s", p.status, p.body)
	}
	if c := p.header.Get("Set-Cookie"); c != "" {
		t.Fatalf("a refused sign-in set a cookie: %s", c)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /login", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !strings.Contains(string(evs[0].After), "wrong password") || !strings.Contains(string(evs[0].After), "sign_in") {
		t.Fatalf("refusal not audited: %+v", evs)
	}
}

func TestCrossSiteFormPostIsRefused(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.signIn("pm")
	req, _ := http.NewRequest("POST", tw.http.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := b.do(req); p.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d, want 403", p.status)
	}
	if p := b.get("/"); p.status != 200 {
		t.Fatalf("the session ended after a refused cross-site sign-out: %d", p.status)
	}
}

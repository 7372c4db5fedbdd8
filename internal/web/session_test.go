package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/store"
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

// sessionOf returns the newest session of user.
func (tw *testWeb) sessionOf(user string) store.Session {
	tw.t.Helper()
	ss, err := tw.store.ListSessions(context.Background(), user, false, 1)
	if err != nil || len(ss) != 1 {
		tw.t.Fatalf("sessions of %s: %v %v", user, ss, err)
	}
	return ss[0]
}

// assertEnded checks that b is signed out and that session x ended with
// reason, audited as session.end.
func (tw *testWeb) assertEnded(b *browser, x store.Session, reason string) {
	tw.t.Helper()
	if p := b.get("/"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		tw.t.Fatalf("still signed in after %q: %d", reason, p.status)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "session", strconv.FormatInt(x.ID, 10), 10)
	if err != nil || len(evs) != 2 || evs[1].Action != "session.end" || !strings.Contains(string(evs[1].After), `"ended_reason":"`+reason+`"`) {
		tw.t.Fatalf("session.end %q not audited: %+v %v", reason, evs, err)
	}
}

func TestSessionIdleTimeout(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.signIn("pm")
	x := tw.sessionOf("pm")
	for range 3 { // each visit within the idle time pushes it back
		tw.clock.Advance(auth.SessionIdle - time.Minute)
		if p := b.get("/"); p.status != 200 {
			t.Fatalf("visit within the idle time: %d", p.status)
		}
	}
	tw.clock.Advance(auth.SessionIdle)
	tw.assertEnded(b, x, "idle")
}

func TestSessionAbsoluteTimeout(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.signIn("pm")
	x := tw.sessionOf("pm")
	for elapsed := time.Duration(0); elapsed+20*time.Minute < auth.SessionAbsolute; elapsed += 20 * time.Minute {
		tw.clock.Advance(20 * time.Minute)
		if p := b.get("/"); p.status != 200 {
			t.Fatalf("visit after %v: %d", elapsed+20*time.Minute, p.status)
		}
	}
	tw.clock.Advance(20 * time.Minute) // 12 h after sign-in, though never idle
	tw.assertEnded(b, x, "expired")
}

// TestSessionsEndWhenTheAccountChanges: a change of roles, password or
// tokens, or disabling the user, ends its sessions, each audited.
func TestSessionsEndWhenTheAccountChanges(t *testing.T) {
	tw := newTestWeb(t)
	rev := func() string {
		var u auth.User
		json.Unmarshal([]byte(tw.apiCall("admin", "GET", "/api/v1/users/pm", "", 200)), &u)
		return strconv.FormatInt(u.Revision, 10)
	}
	var tokenID string
	changes := []struct {
		reason string
		change func()
	}{
		{"roles changed", func() {
			tw.apiCall("admin", "PATCH", "/api/v1/users/pm", `{"roles":["problem_manager","engineer"],"revision":`+rev()+`}`, 200)
		}},
		{"password changed", func() {
			tw.apiCall("admin", "PUT", "/api/v1/users/pm/password", `{"password":"`+testPassword+`"}`, 200)
		}},
		{"tokens changed", func() {
			var tok struct{ ID int64 }
			json.Unmarshal([]byte(tw.apiCall("admin", "POST", "/api/v1/users/pm/tokens", `{"label":"ci"}`, 201)), &tok)
			tokenID = strconv.FormatInt(tok.ID, 10)
		}},
		{"tokens changed", func() { tw.apiCall("admin", "DELETE", "/api/v1/tokens/"+tokenID, "", 200) }},
		{"user disabled", func() {
			tw.apiCall("admin", "PATCH", "/api/v1/users/pm", `{"disabled":true,"revision":`+rev()+`}`, 200)
		}},
	}
	for _, c := range changes {
		b := tw.signIn("pm")
		other := tw.signIn("eng")
		x := tw.sessionOf("pm")
		c.change()
		tw.assertEnded(b, x, c.reason)
		if p := other.get("/"); p.status != 200 {
			t.Fatalf("%s: another user's session ended: %d", c.reason, p.status)
		}
	}
	if p := tw.browser().post("/login", url.Values{"username": {"pm"}, "password": {testPassword}}); p.status != http.StatusUnauthorized {
		t.Fatalf("a disabled user signed in: %d", p.status)
	}
}

func TestSessionCookieAttributesAndStoredHash(t *testing.T) {
	tw := newTestWeb(t)
	p := tw.browser().post("/login", url.Values{"username": {"pm"}, "password": {testPassword}})
	cs := (&http.Response{Header: p.header}).Cookies()
	if p.status != http.StatusSeeOther || len(cs) != 1 {
		t.Fatalf("sign-in: %d, cookies %v", p.status, cs)
	}
	c := cs[0]
	if c.Name != "__Host-fixgate_session" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || len(c.Value) < 40 {
		t.Fatalf("cookie %+v (raw %q)", c, c.Raw)
	}
	if tw.databaseHolds(c.Value) {
		t.Fatal("the session cookie's value is stored in the database")
	}
	if !tw.databaseHolds(auth.HashToken(c.Value)) {
		t.Fatal("the session's hash is not stored: the search of the database finds nothing")
	}
}

// databaseHolds reports whether any column of any row of any table, as
// text, contains s.
func (tw *testWeb) databaseHolds(s string) bool {
	tw.t.Helper()
	ctx := context.Background()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if tw.store.Dialect() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	var tables []string
	rows, err := tw.store.DB().QueryContext(ctx, q)
	if err != nil {
		tw.t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	for _, tb := range tables {
		rows, err := tw.store.DB().QueryContext(ctx, `SELECT * FROM `+tb)
		if err != nil {
			tw.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for _, v := range vals {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				if strings.Contains(fmt.Sprint(v), s) {
					rows.Close()
					return true
				}
			}
		}
		rows.Close()
	}
	return false
}

func TestLoginRateLimit(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.browser()
	try := func(user, pw string, want int) {
		t.Helper()
		if p := b.post("/login", url.Values{"username": {user}, "password": {pw}}); p.status != want {
			t.Fatalf("sign-in as %s: %d, want %d", user, p.status, want)
		}
	}
	for range accountFree {
		try("pm", "wrong password!", http.StatusUnauthorized)
	}
	try("pm", testPassword, http.StatusTooManyRequests) // even with the right password
	try("eng", testPassword, http.StatusSeeOther)       // another account from the same address has its own count
	for range accountFree {
		try("eng", "wrong password!", http.StatusUnauthorized)
	}
	try("eng", testPassword, http.StatusTooManyRequests)
	tw.clock.Advance(loginBackoff + time.Second) // the first wait is over
	try("pm", testPassword, http.StatusSeeOther)
	// Password spraying: failures on many accounts add up for the address.
	for i := 2 * accountFree; i < addrFree; i++ {
		try("ghost"+strconv.Itoa(i), "wrong password!", http.StatusUnauthorized)
	}
	try("cab", testPassword, http.StatusTooManyRequests)
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /login", 100)
	if err != nil || !strings.Contains(string(evs[len(evs)-1].After), "too many attempts") {
		t.Fatalf("the limited attempt is not audited: %v", err)
	}
	tw.clock.Advance(loginWindow)
	try("cab", testPassword, http.StatusSeeOther)
}

// TestLoginLimiterKeysByAccountAndAddress: an account's failures limit it
// from every address; an address's failures limit every account from it,
// not from elsewhere; a success forgets the account's failures only.
func TestLoginLimiterKeysByAccountAndAddress(t *testing.T) {
	l := newLoginLimiter()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	for range accountFree {
		l.failed("pm", "10.0.0.1", now)
	}
	if l.wait("pm", "10.0.0.2", now) == 0 || l.wait("eng", "10.0.0.1", now) != 0 {
		t.Fatal("the account's failures do not limit the account from elsewhere, or limit others")
	}
	for i := accountFree; i < addrFree; i++ {
		l.failed("x"+strconv.Itoa(i), "10.0.0.1", now)
	}
	if l.wait("eng", "10.0.0.1", now) == 0 || l.wait("eng", "10.0.0.2", now) != 0 {
		t.Fatal("the address's failures do not limit it, or limit another address")
	}
	l.succeeded("pm", "10.0.0.1")
	if l.wait("pm", "10.0.0.2", now) != 0 || l.wait("pm", "10.0.0.1", now) == 0 {
		t.Fatal("a success must forget the account's failures, not the address's")
	}
	if w := l.wait("eng", "10.0.0.1", now.Add(loginMaxWait)); w != 0 {
		t.Fatalf("still waiting after the longest wait: %v", w)
	}
}

func TestOpenRedirectRefused(t *testing.T) {
	tw := newTestWeb(t)
	for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example", "\\\\evil.example", "javascript:alert(1)"} {
		p := tw.browser().post("/login", url.Values{"username": {"pm"}, "password": {testPassword}, "next": {next}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/" {
			t.Errorf("next %q: %d to %q, want /", next, p.status, p.header.Get("Location"))
		}
		if f := tw.browser().get("/login?next=" + url.QueryEscape(next)); strings.Contains(f.body, "evil.example") {
			t.Errorf("the sign-in form keeps next %q", next)
		}
	}
	p := tw.browser().post("/login", url.Values{"username": {"pm"}, "password": {testPassword}, "next": {"/problems?status=open"}})
	if p.header.Get("Location") != "/problems?status=open" {
		t.Errorf("a path on this server: %q", p.header.Get("Location"))
	}
}

// TestExpiredSessionRedirectsAnHTMXRegion: a self-refreshing region whose
// session ended gets HX-Redirect to the sign-in page (a full page load),
// not the sign-in page swapped into the region.
func TestExpiredSessionRedirectsAnHTMXRegion(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.browser()
	req, _ := http.NewRequest("GET", tw.http.URL+"/", nil)
	req.Header.Set("HX-Request", "true")
	p := b.do(req)
	if p.status != http.StatusUnauthorized || p.header.Get("HX-Redirect") != "/login" {
		t.Fatalf("htmx request without a session: %d, HX-Redirect %q", p.status, p.header.Get("HX-Redirect"))
	}
}

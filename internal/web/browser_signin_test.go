package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserSignInAndOut: in Chromium, a wrong password shows the error
// on the sign-in page; the right one lands on the dashboard; signing out
// lands on the sign-in page, and the dashboard then asks to sign in. The
// sign-in page (with and without the error), the dashboard and the error
// page pass axe.
func TestBrowserSignInAndOut(t *testing.T) {
	tw := newTestWeb(t)
	c := newChrome(t, tw)
	if st := c.visit("/login"); st != 200 {
		t.Fatalf("GET /login: %d", st)
	}
	c.checkPage("sign-in")
	c.fill("Username", "pm")
	c.fill("Password", "not the password")
	if st := c.press("", "Sign in"); st != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", st)
	}
	if got := c.text(`main [role="alert"]`); got != "Wrong username or password." {
		t.Fatalf("wrong password shows %q at %s", got, c.path())
	}
	c.checkPage("sign-in, wrong password")

	c.fillIn(`form[action="/login"]`, "password", testPassword)
	if st := c.submitForm(`form[action="/login"]`); st != 200 || c.path() != "/" || c.text("h1") != "Dashboard" {
		t.Fatalf("right password: %d at %s, h1 %q", st, c.path(), c.text("h1"))
	}
	if got := c.text("header .signout"); !strings.Contains(got, "pm") {
		t.Fatalf("the header does not name the person: %q", got)
	}
	c.checkPage("dashboard")

	if st := c.visit("/no/such/page"); st != http.StatusNotFound || !strings.Contains(c.text("h1"), "404") {
		t.Fatalf("unknown page: %d, h1 %q", st, c.text("h1"))
	}
	c.checkPage("error page")

	c.visit("/")
	if st := c.press("header .signout", "Sign out"); st != 200 || c.path() != "/login" {
		t.Fatalf("sign out: %d at %s", st, c.path())
	}
	if c.visit("/"); !strings.HasPrefix(c.path(), "/login") {
		t.Fatalf("the dashboard after signing out shows %s", c.path())
	}
}

// TestBrowserSignInByKeyboard: the sign-in form is reached, filled and
// sent with the keyboard alone: the username field has the focus, Tab
// goes to the password and then to the button, Enter signs in.
func TestBrowserSignInByKeyboard(t *testing.T) {
	tw := newTestWeb(t)
	c := newChrome(t, tw)
	c.visit("/login")
	focused := func() string {
		return evalJS[string](c, `(() => { const e = document.activeElement; return e ? (e.id || e.textContent.trim()) : ""; })()`)
	}
	steps := []struct{ keys, want string }{
		{"", "username"}, {"admin", "username"}, {kb.Tab, "password"}, {testPassword, "password"}, {kb.Tab, "Sign in"},
	}
	for _, s := range steps {
		if s.keys != "" {
			c.do("type", chromedp.KeyEvent(s.keys))
		}
		if got := focused(); got != s.want {
			t.Fatalf("after typing %q the focus is on %q, want %q", s.keys, got, s.want)
		}
	}
	if st := c.submit("press Enter", chromedp.KeyEvent(kb.Enter)); st != 200 || c.path() != "/" {
		t.Fatalf("Enter on the button: %d at %s", st, c.path())
	}
	if got := c.text("header .signout"); !strings.Contains(got, "admin") {
		t.Fatalf("signed in as someone else: %q", got)
	}
}

// TestBrowserCrossSiteFormPostRefused: a page of another origin (same
// site: 127.0.0.1 on another port, so the browser sends the SameSite=Lax
// session cookie along) that submits a form to /logout as soon as it loads
// is refused 403 by the cross-origin protection, and the person is still
// signed in.
func TestBrowserCrossSiteFormPostRefused(t *testing.T) {
	tw := newTestWeb(t)
	c := newChrome(t, tw)
	c.signIn("pm")
	evil := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>prize</title><form method="post" action="%s/logout"></form>`+
			`<script>document.forms[0].submit()</script>`, tw.http.URL)
	}))
	defer evil.Close()
	c.navigate(evil.URL)
	var at string // where the form post led, once its page has loaded
	for deadline := time.Now().Add(browserActionTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if at = evalJS[string](c, `document.readyState === "complete" ? location.href : ""`); strings.HasPrefix(at, tw.http.URL) {
			break
		}
	}
	if at != tw.http.URL+"/logout" || !strings.Contains(strings.ToLower(c.text("body")), "cross-origin") {
		t.Fatalf("the other origin's form post was not refused as cross-origin: the browser is at %q: %q", at, c.text("body"))
	}
	if st := c.visit("/"); st != 200 || c.path() != "/" {
		t.Fatalf("signed out by another origin's form: %d at %s", st, c.path())
	}
}

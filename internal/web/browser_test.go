package web

// The browser harness: tests that drive the pages in a real headless
// Chromium (Debian's chromium package) through chromedp, check each page
// with axe-core (testdata/axe, vendored) and keep a screenshot of each.
//
// A missing chromium skips these tests, unless CI=true or
// FIXGATE_INTEGRATION=1 (as internal/testbin.Need): then they fail.
// Screenshots go to $FIXGATE_SCREENSHOTS/<database>/<test>/ (default: the
// test's temporary directory).

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chrome is one headless Chromium with one tab, on a testWeb's TLS server.
type chrome struct {
	t     *testing.T
	tw    *testWeb
	ctx   context.Context
	shots string // the directory screenshots go to
	n     int    // screenshots taken, for their order in the directory

	mu       sync.Mutex
	problems []string // CSP violations and uncaught exceptions since the last check
}

// browserActionTimeout bounds each step in the browser.
const browserActionTimeout = 20 * time.Second

// needChromium returns the path of the chromium binary. A missing one
// skips the test, unless CI=true or FIXGATE_INTEGRATION=1: then it fails.
func needChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" || os.Getenv("FIXGATE_INTEGRATION") == "1" {
		t.Fatal("chromium is not installed (CI=true or FIXGATE_INTEGRATION=1): apt-get install chromium (.ci/run does)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); FIXGATE_INTEGRATION=1 makes this a failure")
	return ""
}

// newChrome starts a headless Chromium for tw, stopped when the test ends.
// It accepts the test server's certificate: the session cookie is
// __Host- and Secure, so the pages are reached over HTTPS.
func newChrome(t *testing.T, tw *testWeb) *chrome {
	t.Helper()
	exe := needChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.IgnoreCertErrors, chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	c := &chrome{t: t, tw: tw, ctx: ctx, shots: screenshotDir(t, string(tw.store.Dialect()))}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, c.note); err != nil {
		t.Fatal(err)
	}
	return c
}

// note keeps the CSP violations (logged by the browser) and the uncaught
// exceptions of the pages; checkPage fails the test on any.
func (c *chrome) note(ev any) {
	var msg string
	switch e := ev.(type) {
	case *log.EventEntryAdded:
		if strings.Contains(e.Entry.Text, "Content Security Policy") {
			msg = "CSP: " + e.Entry.Text
		}
	case *runtime.EventExceptionThrown:
		msg = "uncaught exception: " + e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	}
	if msg != "" {
		c.mu.Lock()
		c.problems = append(c.problems, msg)
		c.mu.Unlock()
	}
}

// screenshotDir is $FIXGATE_SCREENSHOTS/<db>/<test> (made at the first
// screenshot), or a temporary directory when the variable is unset.
func screenshotDir(t *testing.T, db string) string {
	base := os.Getenv("FIXGATE_SCREENSHOTS")
	if base == "" {
		return t.TempDir()
	}
	return filepath.Join(base, db, shotName(t.Name()))
}

var unsafeShotChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// shotName makes s a file name ("index" for "/").
func shotName(s string) string {
	if n := strings.Trim(unsafeShotChars.ReplaceAllString(s, "_"), "_"); n != "" {
		return n
	}
	return "index"
}

// do runs steps in the tab, failing the test on an error.
func (c *chrome) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](c *chrome, expr string, opts ...chromedp.EvaluateOption) T {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		c.t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// visit opens path (on the test server) and returns the HTTP status of the page.
func (c *chrome) visit(path string) int {
	c.t.Helper()
	return c.navigate(c.tw.http.URL + path)
}

func (c *chrome) navigate(url string) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		c.t.Fatalf("open %s: %v", url, err)
	}
	return int(res.Status)
}

// path is the path and query of the page shown.
func (c *chrome) path() string {
	return evalJS[string](c, `location.pathname + location.search`)
}

// js quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// controlFor returns the id of the form control, inside the element scope
// (a CSS selector; "" for the whole page), whose <label for> text starts
// with label (case aside), failing the test when there is none.
func (c *chrome) controlFor(scope, label string) string {
	c.t.Helper()
	id := evalJS[string](c, `(() => { const root = `+jsString(scope)+` ? document.querySelector(`+jsString(scope)+`) : document;
		const want = `+jsString(strings.ToLower(label))+`;
		const l = root && [...root.querySelectorAll("label[for]")].find(l => l.textContent.trim().toLowerCase().startsWith(want));
		return l && document.getElementById(l.htmlFor) ? l.htmlFor : ""; })()`)
	if id == "" {
		c.t.Fatalf("%s: no control labelled %q in %q", c.path(), label, scope)
	}
	return id
}

// fill types value into the control labelled label (replacing its value).
func (c *chrome) fill(label, value string) { c.t.Helper(); c.fillIn("", label, value) }

// fillIn types value into the control labelled label inside scope (a CSS
// selector), replacing its value.
func (c *chrome) fillIn(scope, label, value string) {
	c.t.Helper()
	id := c.controlFor(scope, label)
	evalJS[chromedp.Void](c, `document.getElementById(`+jsString(id)+`).value = ""`)
	c.do("fill "+label, chromedp.SendKeys(chromedp.ID(id), value))
}

// submitForm clicks the submit button of the form form (a CSS selector)
// and returns the status of the page it leads to.
func (c *chrome) submitForm(form string) int {
	c.t.Helper()
	return c.press(form, "")
}

// press clicks the button that reads text (any submit button when text is
// ""), inside scope (a CSS selector; "" for the whole page), waits for the
// page it leads to, and returns that page's HTTP status.
func (c *chrome) press(scope, text string) int {
	c.t.Helper()
	sel := fmt.Sprintf(`(() => { const root = %s ? document.querySelector(%s) : document;
		const b = root && [...root.querySelectorAll("button, input[type=submit]")].find(b => %s === "" ? b.type === "submit" : (b.textContent || b.value).trim() === %s);
		document.querySelectorAll("[data-press]").forEach(e => e.removeAttribute("data-press"));
		if (!b) return false; b.setAttribute("data-press", "1"); return true; })()`, jsString(scope), jsString(scope), jsString(text), jsString(text))
	if !evalJS[bool](c, sel) {
		c.t.Fatalf("%s: no button %q in %q", c.path(), text, scope)
	}
	return c.submit("press "+text, chromedp.Click(chromedp.CSS(`[data-press="1"]`)))
}

// submit runs steps that lead to a new page, waits for it and returns its status.
func (c *chrome) submit(what string, steps ...chromedp.Action[chromedp.Void]) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	return int(res.Status)
}

// text returns the visible text of the first element sel matches, or ""
// when none does.
func (c *chrome) text(sel string) string {
	c.t.Helper()
	return evalJS[string](c, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText.trim() : ""; })()`)
}

// signIn signs in as user through the sign-in form and fails the test
// unless it lands off the sign-in page.
func (c *chrome) signIn(user string) {
	c.t.Helper()
	c.visit("/login")
	c.fill("Username", user)
	c.fill("Password", testPassword)
	if st := c.press("", "Sign in"); st != 200 || strings.HasPrefix(c.path(), "/login") {
		c.t.Fatalf("sign in as %s: %d, at %s: %s", user, st, c.path(), c.text(".error"))
	}
}

package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPatternsFlow: in Chromium, an auditor opens the failure
// patterns with a failed fix in them (axe-clean, screenshotted), follows a
// bucket's failed count to the deployment behind it, and narrows the page
// to an environment with nothing in it.
func TestBrowserPatternsFlow(t *testing.T) {
	tw := newTestWeb(t)
	patternsWebData(tw)
	c := newChrome(t, tw)
	c.signIn("aud")
	if st := c.visit("/reports/patterns"); st != 200 {
		t.Fatalf("patterns: %d", st)
	}
	c.checkPage("patterns")
	if st := c.submit("follow the failed count of testing_gap",
		chromedp.Click(chromedp.CSS(`#dim-finding_tag a[href*="only=failed"]`))); st != 200 {
		t.Fatalf("drill-down: %d", st)
	}
	if got := c.text("#drill"); !strings.Contains(got, "DEP-1") || strings.Contains(got, "DEP-2") {
		t.Fatalf("drill-down shows %q", got)
	}
	c.checkPage("patterns drill-down")
	c.fill("Environment", "nowhere")
	if st := c.press("form.filters", "Show patterns"); st != 200 || !strings.Contains(c.text("#dim-environment"), "No problem-fix deployment") {
		t.Fatalf("filtered: %d %q", st, c.text("#dim-environment"))
	}
}

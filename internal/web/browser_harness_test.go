package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBrowserHarnessCatchesBrokenPages: the checks of checkPage can fail.
// On a page with an unlabelled input, an image without alt text and an
// inline style under fixgate's CSP, axe reports the two violations as
// critical, and the browser's CSP refusal is noted.
func TestBrowserHarnessCatchesBrokenPages(t *testing.T) {
	tw := newTestWeb(t)
	c := newChrome(t, tw)
	bad := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>bad</title><main><h1>Bad</h1>`+
			`<input name="q"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">`+
			`<p style="color: red">inline</p></main></html>`)
	}))
	defer bad.Close()
	c.navigate(bad.URL)
	impact := map[string]string{}
	for _, v := range c.axeViolations() {
		impact[v.ID] = v.Impact
	}
	if impact["label"] != "critical" || impact["image-alt"] != "critical" {
		t.Fatalf("axe missed the unlabelled input or the image without alt: %v", impact)
	}
	var probs []string
	for deadline := time.Now().Add(5 * time.Second); len(probs) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		probs = c.takeProblems()
	}
	if !slices.ContainsFunc(probs, func(p string) bool { return strings.HasPrefix(p, "CSP: ") && strings.Contains(p, "style") }) {
		t.Fatalf("the inline style's CSP refusal was not noted: %q", probs)
	}
}

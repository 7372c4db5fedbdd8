package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// browserAxeSource is axe-core's script (testdata/axe/VENDORED says which).
var browserAxeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	return string(b), err
})

// axeViolation is one rule axe found broken, with the first elements that break it.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
	Count   int      `json:"count"`
}

func (v axeViolation) String() string {
	return fmt.Sprintf("%s (%s): %s; %d elements, first %s", v.ID, v.Impact, v.Help, v.Count, strings.Join(v.Targets, " | "))
}

// axeFragmentRules are the document-level rules that do not apply to an htmx
// fragment (a page without <main>, meant to be swapped into one).
const axeFragmentRules = `["html-has-lang", "document-title", "landmark-one-main", "page-has-heading-one", "region", "bypass"]`

// axeRun is the script that runs axe on the page shown and returns its
// violations, at most three elements each.
const axeRun = `(async () => {
	const opts = {resultTypes: ["violations"]};
	if (!document.querySelector("main")) {
		opts.rules = Object.fromEntries(` + axeFragmentRules + `.map(r => [r, {enabled: false}]));
	}
	const res = await axe.run(document, opts);
	return res.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, count: v.nodes.length,
		targets: v.nodes.slice(0, 3).map(n => n.target.map(String).join(" "))}));
})()`

// axe runs axe-core on the page shown: serious and critical violations
// fail the test; the others are logged.
func (c *chrome) axe(name string) {
	c.t.Helper()
	for _, v := range c.axeViolations() {
		if v.Impact == "serious" || v.Impact == "critical" {
			c.t.Errorf("%s (%s): accessibility: %s", name, c.path(), v)
		} else {
			c.t.Logf("%s (%s): accessibility, %s", name, c.path(), v)
		}
	}
}

// axeViolations injects axe-core into the page shown (DevTools
// evaluation, which the page's CSP does not govern), runs it and returns
// what it found.
func (c *chrome) axeViolations() []axeViolation {
	c.t.Helper()
	src, err := browserAxeSource()
	if err != nil {
		c.t.Fatalf("axe-core: %v", err)
	}
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`if (!window.axe) {`+src+`}`)); err != nil {
		c.t.Fatalf("inject axe-core: %v", err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		c.t.Fatalf("run axe-core: %v", err)
	}
	return vs
}

// screenshot writes the whole page as <dir>/<NN>-<name>.png.
func (c *chrome) screenshot(name string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, browserActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(c.shots, 0o755); err != nil {
		c.t.Fatal(err)
	}
	c.n++
	file := filepath.Join(c.shots, fmt.Sprintf("%02d-%s.png", c.n, shotName(name)))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// checkPage screenshots the page shown, runs axe on it, and fails the test
// on any CSP violation or uncaught script exception since the last check.
func (c *chrome) checkPage(name string) {
	c.t.Helper()
	c.screenshot(name)
	c.axe(name)
	for _, p := range c.takeProblems() {
		c.t.Errorf("%s: %s", name, p)
	}
}

// takeProblems returns the CSP violations and uncaught exceptions noted
// since the last call.
func (c *chrome) takeProblems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.problems
	c.problems = nil
	return p
}

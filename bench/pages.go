package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/cab"
	"fixgate/internal/control"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/web"
)

// pageRequests is how many times each page is rendered (after pageWarmup unmeasured).
const (
	pageRequests = 200
	pageWarmup   = 10
	pageGoal     = 50 * time.Millisecond
)

// pageIDs gives, for the path segment before a wildcard, the record of the
// gate dataset (plus pagesExtra) to render: the same keys as the browser
// test's table (internal/web/browser_pages_test.go).
var pageIDs = map[string]string{
	"problems": "PRB-1", "incidents": "INC-1", "known-errors": "KE-1", "releases": "REL-1", "changes": "CHG-1",
	"deployments": "DEP-1", "approvals": "APR-1", "meetings": "CAB-1", "cab": "CAB-1", "evaluations": "GATE-1",
	"gates": "GATE-1", "versions": "1", "users": "pm", "cis": "ci-000", "environments": "prod-eu", "controls": "ASSESS-1",
}

// pageQueries are the queries rendered besides the bare page.
var pageQueries = map[string][]string{"GET /known-errors": {"?q=leak"}}

// pageProblemIncidents incidents are attributed to PRB-1, the problem the pages show.
const pageProblemIncidents = 1000

type pageFigure struct {
	path          string
	p50, p99, max time.Duration
	errors        int
	status        int // the last non-200 status, if any
}

// benchPages renders each GET page of the UI (web.Server.GetPages) at one
// client, in process, through the handler `fixgate serve` builds (the API
// with the pages mounted), signed in as admin with a session cookie from
// POST /login: on a small history (100 releases, 10k incidents) and the
// large one of gate-rate (10k releases, 1M incidents, times -scale).
// Goal: p99 <= 50 ms on the large history; the ratio of the p50s, large
// over small, shows whether a page's cost grows with the history.
func benchPages(ctx context.Context, c config) error {
	fmt.Printf("\n[pages] each GET page of the UI, one client, in process, %d renders each after %d unmeasured, %s\n",
		pageRequests, pageWarmup, dbLabel(c.db))
	var small map[string]pageFigure
	for i, size := range []struct{ releases, incidents int }{{100, 10_000}, {int(10_000 * c.scale), int(1_000_000 * c.scale)}} {
		figs, order, err := pagesRound(ctx, c, size.releases, size.incidents)
		if err != nil {
			return err
		}
		for _, path := range order {
			f := figs[path]
			line := fmt.Sprintf("  %-34s p50 %-9s p99 %-9s max %-9s", path, f.p50.Round(time.Microsecond), f.p99.Round(time.Microsecond), f.max.Round(time.Microsecond))
			if f.errors > 0 {
				line += fmt.Sprintf(" ERRORS %d (status %d)", f.errors, f.status)
			}
			if i == 1 {
				line += " goal p99 <= 50ms: " + verdict(f.p99 <= pageGoal && f.errors == 0)
				if s, ok := small[path]; ok && s.p50 > 0 {
					line += fmt.Sprintf("; p50 large/small %.2f", float64(f.p50)/float64(s.p50))
				}
			}
			fmt.Println(line)
		}
		small = figs
	}
	return nil
}

// pagesRound fills a fresh database, serves the pages and measures each.
func pagesRound(ctx context.Context, c config, releases, incidents int) (map[string]pageFigure, []string, error) {
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return nil, nil, err
	}
	defer done()
	t0 := time.Now()
	if _, err := gateDataset(ctx, st, releases, incidents); err != nil {
		return nil, nil, err
	}
	if err := pagesExtra(ctx, st); err != nil {
		return nil, nil, err
	}
	if st.Dialect() == store.Postgres { // as autovacuum would, after the bulk fill (see gate-rate)
		if _, err := st.DB().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return nil, nil, err
		}
	}
	fmt.Printf("  history %d releases, %d incidents (filled in %s); load average %s\n", releases, incidents, time.Since(t0).Round(time.Second), loadAvg())
	h, patterns, err := pagesHandler(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	cookie, err := pagesSignIn(ctx, st, h)
	if err != nil {
		return nil, nil, err
	}
	figs := map[string]pageFigure{}
	var order []string
	for _, pattern := range patterns {
		paths, err := benchPagePaths(pattern)
		if err != nil {
			fmt.Printf("  %-34s not measured: %v\n", pattern, err)
			continue
		}
		for _, p := range paths {
			figs[p] = measurePage(h, cookie, p)
			order = append(order, p)
		}
	}
	return figs, order, nil
}

// pagesExtra adds what the gate dataset lacks for the pages: KE-1 (a
// published known error of PRB-1), CAB-1 (a meeting),
// pageProblemIncidents incidents attributed to PRB-1 and ASSESS-1 (the
// controls over this year).
func pagesExtra(ctx context.Context, st *store.Store) error {
	pm := audit.Actor{User: "pm", Role: "problem_manager"}
	if _, err := st.CreateKnownError(ctx, pm, knownerror.KnownError{Title: "ci-000 leaks memory under load", Problem: "PRB-1",
		Symptoms: "heap grows until OOM", Workaround: "restart ci-000 nightly", Labels: labels.Set{"ci": "ci-000"}}); err != nil {
		return err
	}
	rm := audit.Actor{User: "rm", Role: "release_manager"}
	if _, err := st.CreateMeeting(ctx, rm, cab.Record{Title: "weekly CAB", ScheduledAt: st.Now().Add(24 * time.Hour), Attendees: []string{"cab"}}); err != nil {
		return err
	}
	at := st.Now().Add(-30 * 24 * time.Hour)
	rows := make([]incident.Incident, pageProblemIncidents)
	for j := range rows {
		rows[j] = benchIncident(2_000_000+j, at)
		rows[j].CI, rows[j].Problem = "ci-000", "PRB-1"
	}
	if _, _, _, bad, err := st.ImportIncidents(ctx, audit.System("bench"), rows); err != nil || len(bad) > 0 {
		return fmt.Errorf("incidents of PRB-1: %v %v", err, bad)
	}
	year, err := control.ParsePeriod(st.Now().UTC().Format("2006"))
	if err == nil {
		_, err = st.AssessControls(ctx, audit.Actor{User: "admin", Role: "admin", RequestID: "bench"}, year)
	}
	return err
}

// pagesHandler builds the handler as `fixgate serve` does: the pages
// mounted in the API, sharing its policy (the engine and workers, which
// serve no page, are not started).
func pagesHandler(ctx context.Context, st *store.Store) (http.Handler, []string, error) {
	dir, err := os.MkdirTemp("", "fixgate-bench-pages-")
	if err != nil {
		return nil, nil, err
	}
	var apiSrv *api.Server
	pages, err := web.New(web.Config{Store: st, Logger: accessLogger(),
		Policy: func(ctx context.Context) (*policy.Policy, int64, error) { return apiSrv.Policy(ctx) }})
	if err != nil {
		return nil, nil, err
	}
	apiSrv = api.New(api.Config{Store: st, DataDir: dir, Logger: accessLogger(), Web: pages.Handler()})
	if err := apiSrv.InitPolicy(ctx); err != nil {
		return nil, nil, err
	}
	return apiSrv.Handler(), pages.GetPages(), nil
}

// pagesSignIn gives admin a password and signs in through POST /login,
// returning the session cookie.
func pagesSignIn(ctx context.Context, st *store.Store, h http.Handler) (*http.Cookie, error) {
	const pw = "bench password, long enough"
	if _, err := st.SetPassword(ctx, audit.System("bench"), "admin", auth.HashPassword(pw), 0); err != nil {
		return nil, err
	}
	form := url.Values{"username": {"admin"}, "password": {pw}}
	req := httptest.NewRequest("POST", "https://fixgate.test/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == auth.SessionCookie && ck.Value != "" {
			return ck, nil
		}
	}
	return nil, fmt.Errorf("sign-in as admin: %d, no session cookie: %s", rec.Code, rec.Body)
}

var pageWildcard = regexp.MustCompile(`^\{[A-Za-z0-9_]+(\.\.\.)?\}$`)

// benchPagePaths substitutes pageIDs into a GET pattern's wildcards (each
// a whole path segment, keyed by the segment before it) and adds
// pageQueries; an error names a wildcard with no id.
func benchPagePaths(pattern string) ([]string, error) {
	orig := strings.Split(strings.Replace(strings.TrimPrefix(pattern, "GET "), "{$}", "", 1), "/")
	segs := append([]string(nil), orig...)
	for i, s := range orig {
		if i == 0 || !pageWildcard.MatchString(s) {
			continue
		}
		id, ok := pageIDs[orig[i-1]]
		if !ok {
			return nil, fmt.Errorf("no record for %s after /%s/ (bench/pages.go pageIDs)", s, orig[i-1])
		}
		segs[i] = id
	}
	path := strings.Join(segs, "/")
	paths := []string{path}
	for _, q := range pageQueries[pattern] {
		paths = append(paths, path+q)
	}
	return paths, nil
}

// measurePage renders path pageWarmup + pageRequests times, one after the other.
func measurePage(h http.Handler, cookie *http.Cookie, path string) pageFigure {
	f := pageFigure{path: path}
	lat := make([]time.Duration, 0, pageRequests)
	for i := 0; i < pageWarmup+pageRequests; i++ {
		req := httptest.NewRequest("GET", "https://fixgate.test"+path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			f.errors, f.status = f.errors+1, rec.Code
		}
		if i >= pageWarmup {
			lat = append(lat, d)
		}
	}
	f.p50, f.p99, f.max = percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1)
	return f
}

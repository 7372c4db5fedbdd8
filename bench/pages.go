package main

import (
	"context"
	"fmt"
	"html"
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
	"gates": "GATE-1", "versions": "1", "users": "pm", "cis": "ci-000", "environments": "prod-eu",
}

type pageFigure struct {
	path          string
	p50, p99, max time.Duration
	cpu           time.Duration // CPU per render: this process's, plus the PostgreSQL backends' of the database
	errors        int
	status        int // the last non-200 status, if any
}

// benchPages renders each GET page of the UI (web.Server.GetPages) at one
// client, in process, through the handler `fixgate serve` builds (the API
// with the pages mounted), signed in as admin with a session cookie from
// POST /login: on a small history (100 releases, 10k incidents) and the
// large one of gate-rate (10k releases, 1M incidents, times -scale). Each
// page is measured bare, with the filters and searches of
// benchPageVariants, and on the second page of each of its lists.
// Goal: p99 <= 50 ms on the large history; the ratio of the p50s, large
// over small, shows whether a page's cost grows with the history.
//
// For work on the queries: FIXGATE_BENCH_PAGES_KEEP=1 keeps the large
// round's database (its DSN is printed); FIXGATE_BENCH_PAGES_DSN=DSN
// measures once on such a kept database, without filling;
// FIXGATE_BENCH_PAGES_ONLY=TEXT[,TEXT...] measures only the paths
// containing one of the texts.
func benchPages(ctx context.Context, c config) error {
	fmt.Printf("\n[pages] each GET page of the UI, one client, in process, %d renders each after %d unmeasured, %s\n",
		pageRequests, pageWarmup, dbLabel(c.db))
	if dsn := os.Getenv("FIXGATE_BENCH_PAGES_DSN"); dsn != "" {
		st, err := store.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer st.Close()
		fmt.Printf("  kept database %s; load average %s\n", dsn, loadAvg())
		figs, order, err := measurePages(ctx, st)
		if err == nil {
			printPages(figs, order, nil)
		}
		return err
	}
	var small map[string]pageFigure
	for i, size := range []struct{ releases, incidents int }{{100, 10_000}, {int(10_000 * c.scale), int(1_000_000 * c.scale)}} {
		keep := i == 1 && os.Getenv("FIXGATE_BENCH_PAGES_KEEP") != ""
		figs, order, err := pagesRound(ctx, c, size.releases, size.incidents, keep)
		if err != nil {
			return err
		}
		if i == 0 {
			printPages(figs, order, nil)
		} else {
			printPages(figs, order, small)
		}
		small = figs
	}
	return nil
}

// printPages prints one line per measured page; with small (the small
// history's figures) the goal's verdict and the p50 ratio, then a summary.
func printPages(figs map[string]pageFigure, order []string, small map[string]pageFigure) {
	w := 0
	for _, k := range order {
		w = max(w, len(pageLabel(k)))
	}
	var over, errs int
	var worst pageFigure
	for _, k := range order {
		f := figs[k]
		line := fmt.Sprintf("  %-*s p50 %-9s p99 %-9s max %-9s cpu %-9s", w, pageLabel(k), f.p50.Round(time.Microsecond), f.p99.Round(time.Microsecond),
			f.max.Round(time.Microsecond), f.cpu.Round(time.Microsecond))
		if f.errors > 0 {
			line += fmt.Sprintf(" ERRORS %d (status %d)", f.errors, f.status)
			errs++
		}
		if f.p99 > pageGoal {
			over++
		}
		if f.p99 > worst.p99 {
			worst = f
		}
		if small != nil {
			line += " goal p99 <= 50ms: " + verdict(f.p99 <= pageGoal && f.errors == 0)
			if s, ok := small[k]; ok && s.p50 > 0 && s.cpu > 0 {
				line += fmt.Sprintf("; large/small p50 %.2f cpu %.2f", float64(f.p50)/float64(s.p50), float64(f.cpu)/float64(s.cpu))
			}
		}
		fmt.Println(line)
	}
	fmt.Printf("  %d paths: %d with errors, %d with p99 over %s; highest p99 %s (%s)\n", len(order), errs, over, pageGoal,
		worst.p99.Round(time.Microsecond), pageLabel(worst.path))
}

// pageLabel is a figure's key as printed: its query unescaped.
func pageLabel(k string) string {
	if u, err := url.PathUnescape(k); err == nil {
		return u
	}
	return k
}

// pagesRound fills a fresh database, serves the pages and measures each.
// keep leaves the database in place and prints its DSN.
func pagesRound(ctx context.Context, c config, releases, incidents int, keep bool) (map[string]pageFigure, []string, error) {
	dsn, cleanup, err := freshDSN(c.db)
	if err != nil {
		return nil, nil, err
	}
	if keep {
		fmt.Printf("  keeping the database: FIXGATE_BENCH_PAGES_DSN='%s'\n", dsn)
		cleanup = func() {}
	}
	defer cleanup()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	t0 := time.Now()
	if _, err := gateDataset(ctx, st, releases, incidents); err != nil {
		return nil, nil, err
	}
	if err := pagesExtra(ctx, st, releases); err != nil {
		return nil, nil, err
	}
	if st.Dialect() == store.Postgres { // as autovacuum would, after the bulk fill (see gate-rate)
		if _, err := st.DB().ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return nil, nil, err
		}
	}
	fmt.Printf("  history %d releases, %d incidents (filled in %s); load average %s\n", releases, incidents, time.Since(t0).Round(time.Second), loadAvg())
	figs, order, err := measurePages(ctx, st)
	fmt.Printf("  load average after: %s\n", loadAvg())
	return figs, order, err
}

// measurePages serves the pages over st and measures every GET pattern's
// paths (benchPagePaths) and the second page of each of their lists.
func measurePages(ctx context.Context, st *store.Store) (map[string]pageFigure, []string, error) {
	dir, err := os.MkdirTemp("", "fixgate-bench-pages-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	h, patterns, err := pagesHandler(ctx, st, dir)
	if err != nil {
		return nil, nil, err
	}
	cookie, err := pagesSignIn(ctx, st, h)
	if err != nil {
		return nil, nil, err
	}
	variants, err := datasetVariants(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	pagesCPU = func() time.Duration { return selfCPU() + pagesBackendCPU(ctx, st) }
	figs := map[string]pageFigure{}
	var order []string
	for _, pattern := range patterns {
		paths, err := benchPagePaths(pattern, variants)
		if err != nil {
			fmt.Printf("  %-34s not measured: %v\n", pattern, err)
			continue
		}
		for _, p := range paths {
			if !pageSelected(p, os.Getenv("FIXGATE_BENCH_PAGES_ONLY")) {
				continue
			}
			for _, f := range measureWithNext(h, cookie, p, variants.key.Replace(p)) {
				if _, dup := figs[f.path]; !dup {
					figs[f.path] = f
					order = append(order, f.path)
				}
			}
		}
	}
	return figs, order, nil
}

// pagesCPU is the CPU time used so far by the process and the PostgreSQL
// backends serving the store (set by measurePages).
var pagesCPU = selfCPU

// pagesBackendCPU sums the CPU time of the PostgreSQL backends connected to
// the store's database (0 on SQLite): /proc, same machine, 10 ms ticks.
func pagesBackendCPU(ctx context.Context, st *store.Store) time.Duration {
	if st.Dialect() != store.Postgres {
		return 0
	}
	rows, err := st.DB().QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return 0
	}
	defer rows.Close()
	var sum time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			sum += procCPU(pid)
		}
	}
	return sum
}

// datasetVariants reads what benchPageVariants needs of the database: the
// span of the audit events' times and the number of releases.
func datasetVariants(ctx context.Context, st *store.Store) (pageVariants, error) {
	var lo, hi any
	var releases int
	if err := st.DB().QueryRowContext(ctx, `SELECT MIN(at), MAX(at), (SELECT COUNT(*) FROM releases) FROM audit_events`).Scan(&lo, &hi, &releases); err != nil {
		return pageVariants{}, err
	}
	start, err := anyTime(lo)
	if err != nil {
		return pageVariants{}, err
	}
	end, err := anyTime(hi)
	if err != nil {
		return pageVariants{}, err
	}
	return benchPageVariants(start, end, releases-4), nil
}

// anyTime reads a timestamp column scanned into any: time.Time on
// PostgreSQL, text on SQLite.
func anyTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		return time.Parse(time.RFC3339Nano, t)
	case []byte:
		return time.Parse(time.RFC3339Nano, string(t))
	}
	return time.Time{}, fmt.Errorf("audit time %T %v", v, v)
}

// pagesHandler builds the handler as `fixgate serve --policy` does: the
// pages mounted in the API, sharing its policy, the starting policy (the
// built-in one) stored as version 1 at boot (the engine and workers, which
// serve no page, are not started); dir is its data directory.
func pagesHandler(ctx context.Context, st *store.Store, dir string) (http.Handler, []string, error) {
	var apiSrv *api.Server
	pages, err := web.New(web.Config{Store: st, Logger: accessLogger(),
		Policy: func(ctx context.Context) (*policy.Policy, int64, error) { return apiSrv.Policy(ctx) }})
	if err != nil {
		return nil, nil, err
	}
	apiSrv = api.New(api.Config{Store: st, DataDir: dir, Logger: accessLogger(), Web: pages.Handler(), Policy: policy.Default()})
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
// a whole path segment, keyed by the segment before it) and adds the
// pattern's variants (a query is added to the path, a path is taken as
// is); an error names a wildcard with no id.
func benchPagePaths(pattern string, variants pageVariants) ([]string, error) {
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
	for _, v := range variants.paths[pattern] {
		if strings.HasPrefix(v, "/") {
			paths = append(paths, v)
		} else {
			paths = append(paths, path+v)
		}
	}
	return paths, nil
}

// pageNext finds the links to a list's next page (the "pager" partial and
// the problem page's older incidents: <a href="..." rel="next">).
var pageNext = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// measureWithNext measures path, keyed key, then the second page of each
// of its lists (the next links of its first render, without their
// fragment, as a browser sends them), keyed key + " [next]" (" [next 2]",
// ... when it has several lists), so that the small and large histories'
// figures pair up although the cursors differ.
func measureWithNext(h http.Handler, cookie *http.Cookie, path, key string) []pageFigure {
	f, body := measurePage(h, cookie, path)
	f.path = key
	out := []pageFigure{f}
	for i, m := range pageNext.FindAllStringSubmatch(body, -1) {
		k := key + " [next]"
		if i > 0 {
			k = fmt.Sprintf("%s [next %d]", key, i+1)
		}
		next, _, _ := strings.Cut(html.UnescapeString(m[1]), "#")
		n, _ := measurePage(h, cookie, next)
		n.path = k
		out = append(out, n)
	}
	return out
}

// measurePage renders path pageWarmup + pageRequests times, one after the
// other, and returns the figures and the first render's body.
func measurePage(h http.Handler, cookie *http.Cookie, path string) (pageFigure, string) {
	f := pageFigure{path: path}
	lat := make([]time.Duration, 0, pageRequests)
	var body string
	var cpu0 time.Duration
	for i := 0; i < pageWarmup+pageRequests; i++ {
		if i == pageWarmup {
			cpu0 = pagesCPU()
		}
		req := httptest.NewRequest("GET", "https://fixgate.test"+path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		h.ServeHTTP(rec, req)
		d := time.Since(t0)
		if rec.Code != http.StatusOK {
			f.errors, f.status = f.errors+1, rec.Code
		}
		if i == 0 {
			body = rec.Body.String()
		}
		if i >= pageWarmup {
			lat = append(lat, d)
		}
	}
	f.cpu = (pagesCPU() - cpu0) / pageRequests
	f.p50, f.p99, f.max = percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1)
	return f, body
}

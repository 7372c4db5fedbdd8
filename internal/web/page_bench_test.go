package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// BenchmarkPagesLargeHistory renders each page of this package's pages at
// one client over HTTPS (the API's middleware included) on a history of
// 1M incidents, 50k problems, 10k releases and their ~1.1M audit events,
// scaled by FIXGATE_BENCH_SCALE (default 0.01; the goal is stated at 1):
// PRB-1 has 2% of the incidents linked and three signatures, half of the
// incidents opened in the last 30 days (PostgreSQL: then VACUUM ANALYZE,
// as autovacuum would have). It reports p50 and p99 per page
// (goal: p99 ≤ 50 ms at scale 1) and the process's CPU per page. Run:
//
//	FIXGATE_BENCH_SCALE=1 go test ./internal/web -run XXX -bench PagesLargeHistory -benchtime 200x
func BenchmarkProblemPagesLargeHistory(b *testing.B) {
	scale := 0.01
	if x, err := strconv.ParseFloat(os.Getenv("FIXGATE_BENCH_SCALE"), 64); err == nil {
		scale = x
	}
	st, clock := storetest.Open(b)
	t0 := time.Now()
	fillHistory(b, st, clock.T, scale)
	if st.Dialect() != store.SQLite { // as autovacuum would have by now: statistics, visibility map
		if _, err := st.DB().Exec(`VACUUM ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled at scale %g in %s", scale, time.Since(t0).Round(time.Second))
	c, srv := benchServer(b, st)
	mid := clock.T.Add(-45 * 24 * time.Hour).Format(auditFormTime)
	pages := []string{"/", "/problems", "/problems?status=new&priority=1", "/problems/PRB-1",
		"/problems/PRB-1/signatures/preview?matcher=" + url.QueryEscape(`{alertname="HighLatency",severity="1"}`),
		"/known-errors?q=restart", "/known-errors?label=service%3Dcheckout", "/audit", "/audit?actor=system",
		"/audit?action=incident.import", "/audit?record_id=PRB-1", "/audit?from=" + mid + "&to=" + mid[:11] + "23:59"}
	for _, p := range pages {
		b.Run(p, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				s := time.Now()
				res, err := c.Get(srv.URL + p)
				if err != nil || res.StatusCode != 200 {
					b.Fatalf("GET %s: %v %v", p, res, err)
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(s))
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// cpuTime is the CPU time this process used so far (server, client and
// SQLite; not PostgreSQL's backends): a figure less bent by other load
// than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchServer serves the API and the pages over TLS and returns a client
// signed in as an admin (who sees every page and every form).
func benchServer(b *testing.B, st *store.Store) (*http.Client, *httptest.Server) {
	ctx := context.Background()
	if _, _, err := st.Bootstrap(ctx, "fgt_admin"); err != nil {
		b.Fatal(err)
	}
	if _, err := st.SetPassword(ctx, audit.System("bench"), "admin", auth.HashPassword(testPassword), 0); err != nil {
		b.Fatal(err)
	}
	var a *api.Server
	w, err := New(Config{Store: st, Policy: func(ctx context.Context) (*policy.Policy, int64, error) { return a.Policy(ctx) }})
	if err != nil {
		b.Fatal(err)
	}
	a = api.New(api.Config{Store: st, DataDir: b.TempDir(), Web: w.Handler()})
	if err := a.InitPolicy(ctx); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewTLSServer(a.Handler())
	b.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := *srv.Client()
	c.Jar = jar
	res, err := c.PostForm(srv.URL+"/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	if err != nil || res.StatusCode != 200 {
		b.Fatalf("sign in: %v %v", res, err)
	}
	res.Body.Close()
	return &c, srv
}

// fillHistory loads the history through the store's batch paths, each
// record audited.
func fillHistory(b *testing.B, st *store.Store, now time.Time, scale float64) {
	ctx, a := context.Background(), audit.System("bench")
	nInc, nPrb, nRel := max(int(1_000_000*scale), 100), max(int(50_000*scale), 10), max(int(10_000*scale), 10)
	if err := fillRefs(ctx, st); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < nPrb; i += 1000 {
		batch := make([]problem.Problem, 0, 1000)
		for j := i; j < min(i+1000, nPrb); j++ {
			batch = append(batch, problem.Problem{Title: fmt.Sprint("problem ", j), Priority: 1 + j%4, CIs: []string{"checkout-api"}})
		}
		if _, err := st.CreateProblems(ctx, a, batch); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < nRel; i += 1000 {
		batch := make([]release.Release, 0, 1000)
		for j := i; j < min(i+1000, nRel); j++ {
			batch = append(batch, release.Release{Version: fmt.Sprintf("1.%d.%d", j/100, j%100), Type: release.ProblemFix,
				Resolves: []string{fmt.Sprint("PRB-", 1+j%nPrb)}})
		}
		if _, err := st.CreateReleases(ctx, a, batch); err != nil {
			b.Fatal(err)
		}
	}
	fillIncidents(b, st, now, nInc)
	for _, m := range []string{`{alertname="HighLatency"}`, `{severity="2"}`, `{service="search"}`} {
		if _, err := st.AddSignature(ctx, a, 1, m); err != nil {
			b.Fatal(err)
		}
	}
	for j := 0; j < max(nPrb/100, 5); j++ {
		if _, err := st.CreateKnownError(ctx, a, knownerror.KnownError{Title: fmt.Sprint("known error ", j), Symptoms: "checkout latency",
			Workaround: fmt.Sprint("restart pod ", j), Labels: labels.Set{"service": []string{"checkout", "search"}[j%2]}}); err != nil {
			b.Fatal(err)
		}
	}
}

// fillIncidents imports n incidents opened every 60 days / n up to now;
// every 50th is linked to PRB-1.
func fillIncidents(b *testing.B, st *store.Store, now time.Time, n int) {
	ctx, a := context.Background(), audit.System("bench")
	step, start := 60*24*time.Hour/time.Duration(n), now.Add(-60*24*time.Hour)
	const chunk = 5000
	for i := 0; i < n; i += chunk {
		rows := make([]incident.Incident, 0, chunk)
		for j := i; j < min(i+chunk, n); j++ {
			in := incident.Incident{ExternalID: fmt.Sprint("EXT-", j), Title: "checkout latency above SLO", CI: "checkout-api", Env: "prod-eu",
				Severity: 1 + j%4, Labels: labels.Set{"alertname": "HighLatency", "severity": strconv.Itoa(1 + j%4)},
				OpenedAt: start.Add(time.Duration(j) * step)}
			if j%50 == 0 {
				in.Problem = "PRB-1"
			}
			rows = append(rows, in)
		}
		if _, _, _, bad, err := st.ImportIncidents(ctx, a, rows); err != nil || len(bad) > 0 {
			b.Fatalf("import: %v %v", bad, err)
		}
	}
}

func fillRefs(ctx context.Context, st *store.Store) error {
	a := audit.System("bench")
	if _, err := st.CreateCI(ctx, a, ci.CI{Name: "checkout-api", Kind: "service"}); err != nil {
		return err
	}
	_, err := st.CreateEnvironment(ctx, a, environment.Environment{Name: "prod-eu", Tier: environment.Production})
	return err
}

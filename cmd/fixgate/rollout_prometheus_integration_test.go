package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/knownerror"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/testbin"
)

// trafficApp is the service under deployment, as Prometheus sees it: per
// version, app_http_requests_total{env="prod-eu",version,code} grows by 100
// requests at every scrape, the share the test set for that version
// answered 500.
type trafficApp struct {
	mu sync.Mutex
	v  map[string]*appCounters
}

type appCounters struct{ ok, errs, share float64 }

// set makes share of version's requests fail from the next scrape on.
func (a *trafficApp) set(version string, share float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.v == nil {
		a.v = map[string]*appCounters{}
	}
	if a.v[version] == nil {
		a.v[version] = &appCounters{}
	}
	a.v[version].share = share
}

func (a *trafficApp) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	versions := make([]string, 0, len(a.v))
	for v := range a.v {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# HELP app_http_requests_total Requests served.\n# TYPE app_http_requests_total counter")
	for _, v := range versions {
		c := a.v[v]
		c.errs += 100 * c.share
		c.ok += 100 * (1 - c.share)
		fmt.Fprintf(w, "app_http_requests_total{env=\"prod-eu\",version=%q,code=\"200\"} %g\n", v, c.ok)
		fmt.Fprintf(w, "app_http_requests_total{env=\"prod-eu\",version=%q,code=\"500\"} %g\n", v, c.errs)
	}
}

// errorRatio is the rig policy's error_rate query for version.
func errorRatio(version string) string {
	sel := `env="prod-eu",version="` + version + `"`
	return `sum(rate(app_http_requests_total{` + sel + `,code="500"}[5s])) / sum(rate(app_http_requests_total{` + sel + `}[5s]))`
}

// TestRolloutPrometheusIntegration runs `fixgate serve` (serveOn, with
// --prometheus-url) against the real Prometheus scraping a test app whose
// error counters the test sets, with an exec driver script, and drives it
// with the CLI as a pipeline does. The analysis template error_rate
// measures the app's 5xx ratio for {{version}} every second (failure:
// result > 0.05; no data: inconclusive) along canary 10 % (4 s) → full
// 100 % (3 s), watched 3 s after 100 %. Three deployments, in parallel,
// each on its own database:
//
//   - healthy: `deploy start` blocked by the gate first (exit 1, recorded,
//     no driver call); approved, `deploy start --wait` exits 0 once the
//     canary was promoted and full succeeded; the driver was called
//     deploy(canary, 10) then promote(full, 100); `deploy wait --until
//     verified` exits 0 after the watch; the release went deploying →
//     deployed → verified (prod-eu is production) and the problem resolved;
//   - errors rise in the canary: rolled back through the driver with
//     FIXGATE_PREVIOUS_VERSION the version last verified in prod-eu (not
//     the later, unverified one); the deployment rolled_back with the
//     failing check and its measurements in `deploy log`, the release
//     rolled_back, the problem still fix_in_progress with no recurrence
//     counted, the known error's outcome recorded; `deploy wait` exits 1;
//     the time from the failing measurement to the driver's rollback start
//     is logged (and must stay under a second);
//   - no data (a version the app never serves): the deployment pauses with
//     the reason and does not pass (`deploy wait` times out, exit 2);
//     `deploy promote` continues it to full, where it pauses again, and
//     `deploy rollback` rolls it back (`deploy wait` exit 1).
func TestRolloutPrometheusIntegration(t *testing.T) {
	bins := testbin.Need(t, testbin.Prometheus)
	app := &trafficApp{}
	versions := []string{"2.0.0", "2.1.0", "2.2.0"} // 2.0.0: what a rollback restores
	for _, v := range versions {
		app.set(v, 0)
	}
	target := httptest.NewServer(app)
	t.Cleanup(target.Close)
	prom := testbin.StartPrometheus(t, bins[0], strings.TrimPrefix(target.URL, "http://"))
	for _, v := range versions {
		testbin.WaitFor(t, 60*time.Second, "Prometheus has an error ratio for "+v, func() bool {
			x, ok := testbin.Query(prom, errorRatio(v))
			return ok && !math.IsNaN(x)
		})
	}
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		rolloutHealthy(t, prom)
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		rolloutErrors(t, prom, app)
	})
	t.Run("nodata", func(t *testing.T) {
		t.Parallel()
		rolloutNoData(t, prom)
	})
}

func rolloutHealthy(t *testing.T, prom string) {
	r := newRig(t, rigOpts{})
	prb := r.fixProblem("Checkout 500s under load", 3)
	rel := r.release("2.1.0", "PRB-1")
	r.serve(prom)
	defer func() {
		if t.Failed() {
			r.dump("DEP-2")
		}
	}()

	// Not approved: the gate blocks; the attempt is recorded, no driver runs.
	code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu")
	if code != 1 || !strings.Contains(out, "DEP-1") || !strings.Contains(out, "BLOCKED") || !strings.Contains(out, "approvals") ||
		!strings.Contains(errOut, "DEP-1 is blocked by GATE-") {
		t.Fatalf("start before approval: exit %d\n%s\n%s", code, out, errOut)
	}
	if d := r.deployment("DEP-1"); d.Status != deploy.Blocked || d.Gate == "" {
		t.Fatalf("blocked attempt recorded as %+v", d)
	}

	r.approve(rel)
	seen := watchRelease(t, r, rel)
	start := time.Now()
	code, out, errOut = r.cli("deploy", "start", rel, "--env", "prod-eu", "--wait", "--timeout", "60s")
	if code != 0 || !strings.Contains(out, "DEP-2 "+rel+" into prod-eu: running") || !strings.Contains(out, "ALLOWED") ||
		!strings.Contains(out, "DEP-2 succeeded") {
		t.Fatalf("deploy start --wait: exit %d after %s\n%s\n%s", code, time.Since(start), out, errOut)
	}
	t.Logf("deploy start --wait returned after %s", time.Since(start).Round(time.Millisecond))
	d := r.deployment("DEP-2")
	if d.Status != deploy.Succeeded || d.CurrentStage != 1 || d.WatchUntil == nil {
		t.Fatalf("after --wait: %+v", d)
	}
	if p := r.problem(prb); p.Status != problem.Resolved {
		t.Fatalf("problem %s after the fix succeeded in production", p.Status)
	}
	code, out, errOut = r.cli("deploy", "wait", "DEP-2", "--until", "verified", "--timeout", "30s")
	if code != 0 || !strings.Contains(out, "DEP-2 verified") {
		t.Fatalf("deploy wait --until verified: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := r.cli("deploy", "wait", "DEP-2"); code != 0 || !strings.Contains(out, "DEP-2 verified") {
		t.Fatalf("deploy wait of a verified deployment: exit %d %s", code, out)
	}

	calls := r.calls("DEP-2")
	if got := started(calls); !slices.Equal(got, []string{"deploy:canary:10", "promote:full:100"}) {
		t.Fatalf("driver calls %v, want deploy canary 10%% then promote full 100%%", got)
	}
	for _, c := range calls {
		if c.Version != "2.1.0" || c.Env != "prod-eu" || c.Prev != "" || !strings.HasPrefix(c.Key, "DEP-2/") {
			t.Errorf("driver call %s", c)
		}
	}
	if len(r.calls("DEP-1")) != 0 {
		t.Error("the driver ran for the blocked attempt")
	}
	if got := seen(); !isSubsequence([]string{release.Deploying, release.Deployed, release.Verified}, got) {
		t.Fatalf("release statuses %v, want deploying → deployed → verified", got)
	}
	if p := r.problem(prb); p.Status != problem.Resolved || p.RecurrenceCount != 0 {
		t.Fatalf("problem after verification: %s, %d recurrences", p.Status, p.RecurrenceCount)
	}
	per := map[string]int{}
	for _, m := range r.log("DEP-2").Measurements {
		if m.Outcome != analysis.Successful {
			t.Errorf("measurement %s %s/%s at %s: %s %s", m.Stage, m.Template, m.Check, m.At, m.Outcome, m.Message)
		}
		if !strings.Contains(m.Query, `version="2.1.0"`) || !strings.Contains(m.Query, `env="prod-eu"`) {
			t.Errorf("query not rendered with the deployment's facts: %s", m.Query)
		}
		per[m.Stage]++
	}
	if per["canary"] < 3 || per["full"] < 2 {
		t.Fatalf("measurements per stage %v, want ≥ 3 in the 4 s canary and ≥ 2 in the 3 s full stage", per)
	}
}

func rolloutErrors(t *testing.T, prom string, app *trafficApp) {
	r := newRig(t, rigOpts{})
	prb := r.fixProblem("Checkout 500s under load", 3)
	ke, err := r.st.CreateKnownError(context.Background(), rigPat, knownerror.KnownError{Title: "Checkout 500s",
		Symptoms: "5xx on checkout", Workaround: "retry", Problem: "PRB-1"})
	r.must(err)
	// History in prod-eu: 2.0.0 verified, then 2.0.1 succeeded but still in its watch.
	for _, h := range []struct {
		v        string
		verified bool
	}{{"2.0.0", true}, {"2.0.1", false}} {
		rel := r.release(h.v)
		r.approve(rel)
		r.seedDeployed(rel, h.verified)
	}
	rel := r.release("2.2.0", "PRB-1")
	r.approve(rel)
	r.serve(prom)
	defer func() {
		if t.Failed() {
			r.dump("DEP-3")
		}
	}()

	code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu")
	if code != 0 || !strings.Contains(out, "DEP-3 "+rel+" into prod-eu: running") {
		t.Fatalf("deploy start: exit %d\n%s\n%s", code, out, errOut)
	}
	testbin.WaitFor(t, 10*time.Second, "the driver deploys the canary", func() bool { return len(r.calls("DEP-3")) > 0 })
	app.set("2.2.0", 0.5) // the canary takes traffic and half of it fails
	code, out, errOut = r.cli("deploy", "wait", "DEP-3", "--timeout", "60s")
	if code != 1 || !strings.Contains(errOut, "DEP-3 is rolled_back") || !strings.Contains(errOut, "error_rate/http-5xx-ratio") {
		t.Fatalf("deploy wait: exit %d, want 1\n%s\n%s", code, out, errOut)
	}

	calls := r.calls("DEP-3")
	if got := started(calls); !slices.Equal(got, []string{"deploy:canary:10", "rollback:canary:0"}) {
		t.Fatalf("driver calls %v, want deploy canary 10%% then rollback", got)
	}
	for _, c := range calls {
		if c.Prev != "2.0.0" || c.Version != "2.2.0" {
			t.Fatalf("driver call %s: FIXGATE_PREVIOUS_VERSION must be 2.0.0, the version last verified in prod-eu", c)
		}
	}
	d := r.deployment("DEP-3")
	if d.Status != deploy.RolledBack || !strings.Contains(d.RollbackCause, "check error_rate/http-5xx-ratio failed") ||
		d.FirstFailureAt == nil || d.RollbackDecidedAt == nil || d.RollbackDoneAt == nil || d.PreviousVersion != "2.0.0" {
		t.Fatalf("rolled back deployment %+v", d)
	}
	l := r.log("DEP-3")
	var failed *time.Time
	for _, m := range l.Measurements {
		if m.Outcome == analysis.Failed && failed == nil {
			if m.Stage != "canary" || m.Template != "error_rate" || m.Check != "http-5xx-ratio" || !strings.Contains(m.Query, `version="2.2.0"`) ||
				len(m.Value) == 0 || !strings.Contains(m.Message, "failure condition holds") {
				t.Fatalf("failing measurement %+v", m)
			}
			failed = &m.At
		}
	}
	if failed == nil {
		t.Fatalf("no failed measurement in deploy log: %+v", l.Measurements)
	}
	if !d.FirstFailureAt.Equal(*failed) {
		t.Errorf("first_failure_at %s, the failing measurement was taken at %s", d.FirstFailureAt, *failed)
	}
	var restored []string
	for _, m := range l.Measurements {
		if m.Stage == "after-rollback" && strings.Contains(m.Query, `version="2.0.0"`) {
			restored = append(restored, m.Outcome)
		}
	}
	if !slices.Equal(restored, []string{analysis.Successful}) {
		t.Errorf("checks against the restored version 2.0.0: %v, want one successful measurement", restored)
	}
	_, text, _ := r.cli("deploy", "log", "DEP-3")
	for _, want := range []string{"rolling back to 2.0.0: check error_rate/http-5xx-ratio failed", "rolled back to 2.0.0",
		"canary error_rate/http-5xx-ratio: failed", "action 2 rollback rollback"} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy log lacks %q", want)
		}
	}
	var rb driverCall
	for _, c := range calls {
		if c.Action == "rollback" && c.Phase == "start" {
			rb = c
		}
	}
	latency := rb.At.Sub(*failed)
	t.Logf("failing measurement taken %s → rollback driver started %s: %s", failed.Format("15:04:05.000"),
		rb.At.Format("15:04:05.000"), latency.Round(time.Millisecond))
	if latency < 0 || latency > time.Second {
		t.Errorf("the rollback driver started %s after the failing measurement, want under 1s", latency)
	}
	if s := r.releaseStatus(rel); s != release.RolledBack {
		t.Errorf("release %s, want rolled_back", s)
	}
	if p := r.problem(prb); p.Status != problem.FixInProgress || p.RecurrenceCount != 0 {
		t.Errorf("problem %s with %d recurrences, want fix_in_progress and none (a failed canary is no recurrence)", p.Status, p.RecurrenceCount)
	}
	k, err := r.st.GetKnownError(context.Background(), knownNum(t, ke.ID))
	r.must(err)
	if n := len(k.Outcomes); n == 0 || k.Outcomes[n-1].Outcome != knownerror.RolledBack || k.Outcomes[n-1].Deployment != "DEP-3" ||
		k.Outcomes[n-1].Release != rel {
		t.Errorf("known error outcomes %+v", k.Outcomes)
	}
}

func rolloutNoData(t *testing.T, prom string) {
	r := newRig(t, rigOpts{})
	r.fixProblem("Checkout 500s under load", 3)
	rel := r.release("2.3.0", "PRB-1") // the app never serves 2.3.0: the query has no data
	r.approve(rel)
	r.serve(prom)
	defer func() {
		if t.Failed() {
			r.dump("DEP-1")
		}
	}()
	if code, out, errOut := r.cli("deploy", "start", rel, "--env", "prod-eu"); code != 0 {
		t.Fatalf("deploy start: exit %d\n%s\n%s", code, out, errOut)
	}
	d := r.waitDeployment("DEP-1", 15*time.Second, "pauses", func(d deploy.Deployment) bool { return d.Status != deploy.Running })
	if d.Status != deploy.Paused || d.CurrentStage != 0 || !strings.Contains(d.PauseReason, "check error_rate/http-5xx-ratio is inconclusive") {
		t.Fatalf("no data: %s at stage %d: %q", d.Status, d.CurrentStage, d.PauseReason)
	}
	l := r.log("DEP-1")
	if len(l.Measurements) == 0 || l.Measurements[0].Outcome != analysis.Inconclusive || !strings.Contains(l.Measurements[0].Message, "no data") {
		t.Fatalf("measurements %+v", l.Measurements)
	}
	if code, out, errOut := r.cli("deploy", "wait", "DEP-1", "--timeout", "1s"); code != 2 || !strings.Contains(errOut, "still paused") {
		t.Fatalf("deploy wait of a paused deployment: exit %d, want 2 (it never passes silently)\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := r.cli("deploy", "status", "DEP-1"); code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("deploy status: %d %s", code, out)
	}

	// A person promotes: it moves on to full, where the query has no data either.
	if code, out, errOut := r.cli("deploy", "promote", "DEP-1", "--comment", "2.3.0 takes no traffic yet"); code != 0 {
		t.Fatalf("deploy promote: exit %d\n%s\n%s", code, out, errOut)
	}
	d = r.waitDeployment("DEP-1", 15*time.Second, "promoted to full and paused again", func(d deploy.Deployment) bool {
		return d.CurrentStage == 1 && d.Status == deploy.Paused || deploy.Final(d.Status)
	})
	if d.Status != deploy.Paused || !strings.Contains(d.PauseReason, "inconclusive") {
		t.Fatalf("after promote: %s at stage %d: %q", d.Status, d.CurrentStage, d.PauseReason)
	}
	if code, out, errOut := r.cli("deploy", "rollback", "DEP-1", "--comment", "no evidence; roll back"); code != 0 {
		t.Fatalf("deploy rollback: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := r.cli("deploy", "wait", "DEP-1", "--timeout", "30s"); code != 1 || !strings.Contains(errOut, "rolled_back") {
		t.Fatalf("deploy wait after rollback: exit %d, want 1: %s", code, errOut)
	}
	if got := started(r.calls("DEP-1")); !slices.Equal(got, []string{"deploy:canary:10", "promote:full:100", "rollback:full:0"}) {
		t.Fatalf("driver calls %v", got)
	}
	if d := r.deployment("DEP-1"); d.Status != deploy.RolledBack || !strings.Contains(d.RollbackCause, "requested by bot: no evidence; roll back") {
		t.Fatalf("after rollback: %+v", d)
	}
}

// watchRelease records the distinct statuses release rel goes through
// until the test ends; seen returns them in order.
func watchRelease(t *testing.T, r *rig, rel string) (seen func() []string) {
	var mu sync.Mutex
	var got []string
	stop := make(chan struct{})
	done := make(chan struct{})
	n := knownRel(t, rel)
	go func() {
		defer close(done)
		for {
			if x, err := r.st.GetRelease(context.Background(), n); err == nil {
				mu.Lock()
				if len(got) == 0 || got[len(got)-1] != x.Status {
					got = append(got, x.Status)
				}
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	end := func() { once.Do(func() { close(stop); <-done }) }
	t.Cleanup(end)
	return func() []string {
		end()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// isSubsequence reports whether want appears in got in order.
func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func knownRel(t *testing.T, id string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscanf(id, "REL-%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func knownNum(t *testing.T, id string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscanf(id, "KE-%d", &n); err != nil {
		t.Fatal(err)
	}
	return n
}

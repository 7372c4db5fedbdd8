package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/policy"
	"fixgate/internal/store/storetest"
)

// rolloutPolicy stores the open policy (every gate rule off, reported
// driver "pipe") with an analysis template "latency" whose check p99
// succeeds when result < 0.5.
func (tw *testWeb) rolloutPolicy() {
	tw.t.Helper()
	p := storetest.OpenPolicy()
	p.AnalysisTemplates["latency"] = policy.AnalysisTemplate{Checks: []policy.Check{{Name: "p99",
		Prometheus: &policy.PrometheusCheck{Query: "p99_latency", SuccessCondition: "result < 0.5"}}}}
	b, err := yaml.Marshal(p)
	if err != nil {
		tw.t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"yaml": string(b)})
	tw.apiCall("admin", "PUT", "/api/v1/policy", string(body), 200)
}

// runningDeployment starts DEP-1 (REL-1 into prod-eu, canary 10% then full)
// with the reported driver, reports its canary and records three
// measurements of latency/p99: 0.2 successful, 0.9 failed, no data inconclusive.
func (tw *testWeb) runningDeployment() {
	tw.t.Helper()
	tw.rolloutPolicy()
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	tw.apiCall("bot", "POST", "/api/v1/deployments/start", `{"release":"REL-1","env":"prod-eu","driver":"pipe",
		"stages":[{"name":"canary","weight":10,"duration":"5m","analysis":["latency"]},{"name":"full","weight":100}]}`, 201)
	tw.apiCall("bot", "POST", "/api/v1/deployments/DEP-1/report", `{"stage":"canary","status":"succeeded","message":"canary pods <ready>"}`, 200)
	engine := audit.Actor{User: "fixgate-engine", Role: "system"}
	for _, m := range []struct{ value, outcome string }{
		{`{"scalar":0.2}`, analysis.Successful}, {`{"scalar":0.9}`, analysis.Failed}, {`{}`, analysis.Inconclusive}} {
		tw.clock.Advance(30 * time.Second)
		err := tw.store.RecordMeasurement(context.Background(), engine, analysis.Measurement{Deployment: "DEP-1", Stage: "canary",
			Template: "latency", Check: "p99", Kind: "prometheus", Value: json.RawMessage(m.value), Outcome: m.outcome, Message: "measured " + m.outcome})
		if err != nil {
			tw.t.Fatal(err)
		}
	}
}

func TestDeploymentPageShowsStagesMeasurementsEventsAndOutput(t *testing.T) {
	tw := newTestWeb(t)
	tw.runningDeployment()
	p := tw.signIn("aud").get("/deployments/DEP-1")
	if p.status != 200 {
		t.Fatalf("deployment page: %d %s", p.status, p.body)
	}
	for _, want := range []string{
		"<h1>Deployment DEP-1: REL-1 into prod-eu</h1>", ">canary</th><td>10%</td><td>5m</td><td>latency</td>", ">full</th><td>100%</td>",
		`<span class="badge warn">current (running)</span>`, // stage state
		`<svg class="chart" viewBox="0 0 640 220" role="img" aria-labelledby="chart-1-t chart-1-d">`,
		"success when result &lt; 0.5", `class="threshold"`, "success below 0.5", // the condition, as text and as a line
		"<td>0.2</td><td>successful</td>", "<td>0.9</td><td>failed</td>", "<td>no value</td><td>inconclusive</td>", // the table
		"3 measurements from", "1 successful, 1 failed, 1 inconclusive, 0 errors.", // <desc>
		"<td>created</td>", "deploy REL-1 into prod-eu along canary 10% → full 100%", // events
		"<pre tabindex=\"0\" aria-label=\"Driver output\">canary pods &lt;ready&gt;</pre>", // the driver's output, escaped
		`hx-get="/deployments/DEP-1/live" hx-trigger="every 2s" hx-swap="outerHTML"`,
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(p.body, `<path class="point `); n != 3 {
		t.Errorf("%d points drawn, want one per measurement (3)", n)
	}
	for _, shape := range []string{`a5 5 0 1 0 10 0 a5 5 0 1 0 -10 0 z" fill="#0a6b2e"`, `m-5 -5 h10 v10 h-10 z" fill="#a40e26"`, `m0 -6 l6 6 l-6 6 l-6 -6 z" fill="#7a4d00"`,
		"<title>failed: 0.9 at 2026-03-02 10:01:00 UTC, stage canary</title>"} {
		if !strings.Contains(p.body, shape) {
			t.Errorf("no point drawn as %q", shape)
		}
	}
	if strings.Contains(p.body, "style=") {
		t.Error("the page has a style attribute; the CSP forbids inline styles")
	}
	if strings.Contains(p.body, "Roll DEP-1 back") {
		t.Error("an auditor is offered the commands")
	}

	live := tw.signIn("eng").get("/deployments/DEP-1/live")
	if live.status != 200 || strings.Contains(live.body, "<html") || !strings.HasPrefix(strings.TrimSpace(live.body), `<section id="live"`) ||
		!strings.Contains(live.body, `hx-trigger="every 2s"`) || !strings.Contains(live.body, "running") {
		t.Fatalf("live region: %d %s", live.status, live.body)
	}

	// an admin promotes from the page: the request is recorded with the comment
	admin := tw.signIn("admin")
	if res := admin.post("/deployments/DEP-1/promote", url.Values{"comment": {"canary healthy"}, "revision": {"3"}}); res.status != http.StatusSeeOther {
		t.Fatalf("promote: %d %s", res.status, res.body)
	}
	if d := tw.apiCall("aud", "GET", "/api/v1/deployments/DEP-1", "", 200); !strings.Contains(d, `"promote_requested":true`) {
		t.Fatalf("after promote: %s", d)
	}
	if p := admin.get("/deployments/DEP-1"); !strings.Contains(p.body, "promotion requested") || !strings.Contains(p.body, "canary healthy") {
		t.Fatalf("the page after promote: %s", p.body)
	}
}

func TestRollbackFromThePage(t *testing.T) {
	tw := newTestWeb(t)
	tw.runningDeployment()
	var woken []int64
	tw.web.cfg.Wake = func(id int64) { woken = append(woken, id) }
	rm := tw.signIn("rm")
	page := rm.get("/deployments/DEP-1")
	rev := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page.body)
	if rev == nil || !strings.Contains(page.body, "Roll DEP-1 back") {
		t.Fatalf("no command form for a release manager: %s", page.body)
	}

	// a CAB member may not: 403, audited, nothing changed
	cab := tw.signIn("cab").post("/deployments/DEP-1/rollback", url.Values{"comment": {"no"}, "revision": {rev[1]}})
	if cab.status != http.StatusForbidden {
		t.Fatalf("rollback as cab: %d", cab.status)
	}
	denied, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /deployments/DEP-1/rollback", 10)
	if err != nil || len(denied) != 1 || denied[0].Action != "access.denied" || denied[0].Actor != "cab" {
		t.Fatalf("the refusal is not audited: %+v %v", denied, err)
	}

	// (browsers of newTestWeb share one cookie jar: the last signIn is who acts)
	rm = tw.signIn("rm")
	res := rm.post("/deployments/DEP-1/rollback", url.Values{"comment": {"error budget burnt"}, "revision": {rev[1]}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/deployments/DEP-1?done=") {
		t.Fatalf("rollback: %d %s", res.status, res.body)
	}
	d := tw.apiCall("aud", "GET", "/api/v1/deployments/DEP-1", "", 200)
	if !strings.Contains(d, `"status":"rolling_back"`) || !strings.Contains(d, "requested by rm: error budget burnt") {
		t.Fatalf("after the rollback: %s", d)
	}
	if len(woken) != 1 || woken[0] != 1 {
		t.Errorf("the engine was woken for %v, want [1]", woken)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "deployment", "DEP-1", 100)
	if err != nil {
		t.Fatal(err)
	}
	var audited bool
	for _, e := range evs {
		audited = audited || (e.Action == "deployment.rollback" && e.Actor == "rm" && strings.Contains(e.After, "error budget burnt"))
	}
	if !audited {
		t.Fatalf("the rollback is not audited as rm's: %+v", evs)
	}
	after := rm.get(res.header.Get("Location"))
	if !strings.Contains(after.body, `class="flash"`) || !strings.Contains(after.body, "Rollback of DEP-1 requested; it is rolling_back.") {
		t.Fatalf("no confirmation: %s", after.body)
	}

	// the same stale form again: 409 with the state now and what changed since its revision
	stale := rm.post("/deployments/DEP-1/promote", url.Values{"comment": {"go on"}, "revision": {rev[1]}})
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "What changed since the form was shown") ||
		!strings.Contains(stale.body, "<td>deployment.rollback</td><td>rm (release_manager)</td>") ||
		!strings.Contains(stale.body, `<span class="badge bad">rolling_back</span>`) ||
		!strings.Contains(stale.body, "only a running or paused deployment is promoted. The page was at revision") {
		t.Fatalf("stale promote: %d %s", stale.status, stale.body)
	}
}

func TestDeploymentListFiltersAndPages(t *testing.T) {
	tw := newTestWeb(t)
	for _, v := range []string{"1.0.0", "1.0.1", "1.0.2"} {
		tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"`+v+`","type":"feature"}`, 201)
	}
	tw.apiCall("admin", "POST", "/api/v1/environments", `{"name":"staging","tier":"staging"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/deployments", `{"release":"REL-1","env":"prod-eu"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/deployments", `{"release":"REL-2","env":"staging"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/deployments", `{"release":"REL-3","env":"prod-eu"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/deployments/DEP-3/transitions", `{"to":"aborted"}`, 200)
	b := tw.signIn("pm")
	p := b.get("/deployments")
	if p.status != 200 || !regexp.MustCompile(`(?s)DEP-3.*DEP-2.*DEP-1`).MatchString(p.body) {
		t.Fatalf("list, newest first: %d %s", p.status, p.body)
	}
	if p := b.get("/deployments?env=prod-eu"); !strings.Contains(p.body, `"/deployments/DEP-1"`) || strings.Contains(p.body, `"/deployments/DEP-2"`) {
		t.Fatalf("env filter: %s", p.body)
	}
	if p := b.get("/deployments?status=aborted"); !strings.Contains(p.body, `"/deployments/DEP-3"`) || strings.Contains(p.body, `"/deployments/DEP-1"`) {
		t.Fatalf("status filter: %s", p.body)
	}
	if p := b.get("/deployments?status=bogus"); p.status != http.StatusBadRequest {
		t.Fatalf("unknown status: %d", p.status)
	}
	// a release manager aborts the pending DEP-1; a finished deployment's status region stops refreshing
	rm := tw.signIn("rm")
	if res := rm.post("/deployments/DEP-1/abort", url.Values{"comment": {"wrong window"}, "revision": {"1"}}); res.status != http.StatusSeeOther {
		t.Fatalf("abort: %d %s", res.status, res.body)
	}
	if d := tw.apiCall("aud", "GET", "/api/v1/deployments/DEP-1", "", 200); !strings.Contains(d, `"status":"aborted"`) {
		t.Fatalf("after abort: %s", d)
	}
	if p := rm.get("/deployments/DEP-1"); strings.Contains(p.body, "hx-get") || !strings.Contains(p.body, "No command applies to a deployment that is aborted") ||
		!strings.Contains(p.body, "wrong window") {
		t.Fatalf("an aborted deployment's page: %s", p.body)
	}
	if p := rm.get("/deployments/DEP-2"); !strings.Contains(p.body, `hx-trigger="every 2s"`) || !strings.Contains(p.body, "Abort DEP-2") {
		t.Fatalf("a pending deployment's page: %s", p.body)
	}
	b = tw.signIn("pm")
	old := deploymentsPerPage
	deploymentsPerPage = 2
	t.Cleanup(func() { deploymentsPerPage = old })
	first := b.get("/deployments")
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(first.body)
	if next == nil || strings.Contains(first.body, `"/deployments/DEP-1"`) {
		t.Fatalf("first page of 2: %s", first.body)
	}
	second := b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if !strings.Contains(second.body, `"/deployments/DEP-1"`) || strings.Contains(second.body, `"/deployments/DEP-3"`) || strings.Contains(second.body, `rel="next"`) {
		t.Fatalf("second page: %s", second.body)
	}
}

func TestDeploymentPageDrawsOnlyTheLatestMeasurements(t *testing.T) {
	tw := newTestWeb(t)
	tw.runningDeployment()
	old := maxMeasurements
	maxMeasurements = 2
	t.Cleanup(func() { maxMeasurements = old })
	p := tw.signIn("aud").get("/deployments/DEP-1")
	if n := strings.Count(p.body, `<path class="point `); n != 2 || !strings.Contains(p.body, "The latest 2 measurements") ||
		strings.Contains(p.body, "<td>0.2</td>") || !strings.Contains(p.body, "<td>0.9</td>") {
		t.Fatalf("%d points drawn: %s", n, p.body)
	}
}

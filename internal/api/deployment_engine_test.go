package api

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/store/storetest"
)

// openPolicy stores storetest.OpenPolicy as the policy in force: every
// gate rule off, drivers shell (exec) and pipe (reported), prod-eu driven by shell.
func (ta *testAPI) openPolicy() {
	ta.t.Helper()
	b, err := yaml.Marshal(storetest.OpenPolicy())
	if err != nil {
		ta.t.Fatal(err)
	}
	ta.must("admin", "PUT", "/api/v1/policy", string(b), 200, "Content-Type: application/yaml")
}

func kinds(items []any, key string) []string {
	var out []string
	for _, x := range items {
		out = append(out, x.(map[string]any)[key].(string))
	}
	return out
}

// TestAPIDeploymentStart: POST /deployments/start refuses bad input naming
// the field (nothing written, not even an evaluation); blocked by the
// gate it answers 201 with a blocked deployment pointing at the
// evaluation and queues nothing; allowed it answers 201 running at stage 0
// with the deploy action queued; a second start while one runs is 409.
func TestAPIDeploymentStart(t *testing.T) {
	ta := newTestAPI(t)
	depFixRelease(ta)
	const start = "/api/v1/deployments/start"
	ta.problem(ta.do("eng", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"reported"}`), 403, "")
	ta.problem(ta.do("aud", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"reported"}`), 403, "")
	before := ta.auditCount()
	for _, c := range []struct{ body, field string }{
		{`{"env":"prod-eu","driver":"reported"}`, "release"},
		{`{"release":"REL-9","env":"prod-eu","driver":"reported"}`, "release"},
		{`{"release":"REL-1","env":"moon","driver":"reported"}`, "env"},
		{`{"release":"REL-1","env":"prod-eu"}`, "driver"}, // the built-in policy names no driver for prod-eu
		{`{"release":"REL-1","env":"prod-eu","driver":"ssh"}`, "driver"},
		{`{"release":"REL-1","env":"prod-eu","driver":"reported","path":"nope"}`, "path"},
		{`{"release":"REL-1","env":"prod-eu","driver":"reported","stages":[{"name":"canary","weight":10}]}`, "path"},
		{`{"release":"REL-1","env":"prod-eu","driver":"reported","change":"CHG-4"}`, "change"},
		{`{"release":"REL-1","env":"prod-eu","driver":"reported","status":"running"}`, "status"},
	} {
		ta.problem(ta.do("bot", "POST", start, c.body), 400, c.field)
	}
	if ta.auditCount() != before || len(depItems(ta.must("aud", "GET", "/api/v1/gates/evaluations?release=REL-1", "", 200))) != 0 {
		t.Fatal("refused starts wrote something")
	}

	// blocked by the built-in policy (RCA not validated, no approvals): recorded, nothing queued
	r := ta.do("bot", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"reported"}`)
	out := r.json(t)
	d, g := out["deployment"].(map[string]any), out["gate"].(map[string]any)
	if r.status != 201 || r.header.Get("Location") != "/api/v1/deployments/DEP-1" || d["id"] != "DEP-1" || d["status"] != "blocked" ||
		g["id"] != "GATE-1" || g["decision"] != "blocked" || d["gate"] != "GATE-1" || d["started_at"] != nil || d["driver"] != "reported" {
		t.Fatalf("blocked start: %d %s", r.status, r.body)
	}
	if rules(t, g)["rca_validated"] != "fail" {
		t.Fatalf("blocked for another reason: %v", rules(t, g))
	}
	if ev := ta.must("aud", "GET", "/api/v1/gates/evaluations/GATE-1", "", 200); ev["decision"] != "blocked" || ev["release"] != "REL-1" {
		t.Fatalf("the evaluation is stored: %v", ev)
	}
	lg := ta.must("aud", "GET", "/api/v1/deployments/DEP-1/log", "", 200)
	evs := lg["events"].([]any)
	if len(lg["actions"].([]any)) != 0 || !slices.Equal(kinds(evs, "kind"), []string{"created", "status"}) ||
		!strings.Contains(evs[1].(map[string]any)["message"].(string), "blocked by GATE-1") {
		t.Fatalf("blocked log %v", lg)
	}
	if rel := ta.must("aud", "GET", "/api/v1/releases/REL-1", "", 200); rel["status"] != "planned" {
		t.Fatalf("a blocked start moved the release: %v", rel["status"])
	}

	// allowed under an open policy: running at stage 0, its deploy action queued
	ta.openPolicy()
	r = ta.do("bot", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"pipe","stages":[{"name":"canary","weight":10,"duration":"5m"},{"name":"full","weight":100}]}`)
	out = r.json(t)
	d, g = out["deployment"].(map[string]any), out["gate"].(map[string]any)
	if r.status != 201 || d["id"] != "DEP-2" || d["status"] != "running" || g["decision"] != "allowed" || d["gate"] != g["id"] || g["id"] != "GATE-2" ||
		d["current_stage"] != 0.0 || d["started_at"] == nil || d["driver"] != "pipe" || g["policy_version"] != 1.0 {
		t.Fatalf("allowed start: %d %s", r.status, r.body)
	}
	acts := ta.must("aud", "GET", "/api/v1/deployments/DEP-2/log", "", 200)["actions"].([]any)
	if a := acts[0].(map[string]any); len(acts) != 1 || a["kind"] != "deploy" || a["status"] != "pending" || a["stage_name"] != "canary" || a["weight"] != 10.0 {
		t.Fatalf("actions %v", acts)
	}
	p := ta.problem(ta.do("rm", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"pipe"}`), 409, "")
	if !strings.Contains(p["detail"].(string), "DEP-2") {
		t.Fatalf("second start: %v", p)
	}
}

// TestAPIDeploymentCommands: report, promote, rollback and abort over
// HTTP on deployments with a reported driver, and the log that results.
// Errors: a stage the path lacks is 400 naming "stage", a bad status 400
// naming "status", a stage not waiting 409; a command on a finished
// deployment is 409; unknown deployments 404; readers may not command.
func TestAPIDeploymentCommands(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	ta.openPolicy()
	ta.must("bot", "POST", "/api/v1/deployments/start",
		`{"release":"REL-1","env":"prod-eu","driver":"pipe","stages":[{"name":"canary","weight":10},{"name":"full","weight":100}]}`, 201)
	const dep = "/api/v1/deployments/DEP-1"
	ta.problem(ta.do("bot", "POST", dep+"/report", `{"stage":"nope","status":"succeeded"}`), 400, "stage")
	ta.problem(ta.do("bot", "POST", dep+"/report", `{"stage":"canary","status":"done"}`), 400, "status")
	ta.problem(ta.do("bot", "POST", dep+"/report", `{"stage":"full","status":"succeeded"}`), 409, "")
	ta.problem(ta.do("aud", "POST", dep+"/report", `{"stage":"canary","status":"succeeded"}`), 403, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-9/report", `{"stage":"canary","status":"succeeded"}`), 404, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/REL-1/report", `{"stage":"canary","status":"succeeded"}`), 400, "id")
	ta.problem(ta.do("bot", "POST", dep+"/report", `{"stage":"canary","status":"succeeded","extra":1}`), 400, "extra")
	a := ta.must("bot", "POST", dep+"/report", `{"stage":"canary","status":"succeeded","message":"canary pods ready"}`, 200)
	if a["status"] != "succeeded" || a["kind"] != "deploy" || a["stage_name"] != "canary" || a["deployment"] != "DEP-1" {
		t.Fatalf("report %v", a)
	}
	ta.problem(ta.do("bot", "POST", dep+"/report", `{"stage":"canary","status":"succeeded"}`), 409, "") // reported already

	ta.problem(ta.do("aud", "POST", dep+"/promote", `{}`), 403, "")
	ta.problem(ta.do("rm", "POST", "/api/v1/deployments/DEP-9/promote", `{}`), 404, "")
	ta.problem(ta.do("rm", "POST", dep+"/promote", ``), 400, "body")
	r := ta.do("rm", "POST", dep+"/promote", `{"comment":"canary healthy"}`)
	if m := r.json(t); r.status != 200 || m["promote_requested"] != true || m["status"] != "running" || r.header.Get("ETag") == "" {
		t.Fatalf("promote %d %s", r.status, r.body)
	}
	d := ta.must("bot", "POST", dep+"/abort", `{"comment":"change freeze"}`, 200)
	if d["status"] != "aborted" || d["finished_at"] == nil {
		t.Fatalf("abort %v", d)
	}
	for _, cmd := range []string{"promote", "rollback", "abort"} {
		p := ta.problem(ta.do("rm", "POST", dep+"/"+cmd, `{}`), 409, "")
		if !strings.Contains(p["detail"].(string), "aborted") {
			t.Errorf("%s of an aborted deployment: %v", cmd, p)
		}
	}
	lg := ta.must("aud", "GET", dep+"/log", "", 200)
	if lg["deployment"].(map[string]any)["status"] != "aborted" || len(lg["measurements"].([]any)) != 0 {
		t.Fatalf("log %v", lg)
	}
	if k := kinds(lg["actions"].([]any), "kind"); !slices.Equal(k, []string{"deploy", "abort"}) {
		t.Fatalf("actions %v", k)
	}
	evs := kinds(lg["events"].([]any), "kind")
	if evs[0] != "created" || !slices.Contains(evs, "promote") || !slices.Contains(evs, "action") || evs[len(evs)-1] != "status" {
		t.Fatalf("events %v", evs)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/deployments/DEP-9/log", ""), 404, "")
	ta.problem(ta.do("", "GET", dep+"/log", ""), 401, "")

	// DEP-2 succeeds (engine step), is rolled back by a person inside its
	// watch, the pipeline reports the rollback, the engine finishes it
	ta.must("bot", "POST", "/api/v1/deployments/start", `{"release":"REL-1","env":"prod-eu","driver":"pipe","stages":[{"name":"full","weight":100}]}`, 201)
	ta.must("bot", "POST", "/api/v1/deployments/DEP-2/report", `{"stage":"full","status":"succeeded"}`, 200)
	ctx := context.Background()
	if _, err := ta.store.SucceedDeployment(ctx, testEngine, 2, 0, ta.store.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	p := ta.problem(ta.do("rm", "POST", "/api/v1/deployments/DEP-2/promote", `{}`), 409, "")
	if !strings.Contains(p["detail"].(string), "succeeded") {
		t.Fatalf("promote of a succeeded deployment: %v", p)
	}
	ta.problem(ta.do("aud", "POST", "/api/v1/deployments/DEP-2/rollback", `{}`), 403, "")
	if d := ta.must("rm", "POST", "/api/v1/deployments/DEP-2/rollback", `{"comment":"error budget"}`, 200); d["status"] != "rolling_back" ||
		!strings.Contains(d["rollback_cause"].(string), "requested by rm: error budget") {
		t.Fatalf("rollback %v", d)
	}
	ta.problem(ta.do("rm", "POST", "/api/v1/deployments/DEP-2/abort", `{}`), 409, "")
	if a := ta.must("bot", "POST", "/api/v1/deployments/DEP-2/report", `{"stage":"rollback","status":"succeeded"}`, 200); a["kind"] != "rollback" {
		t.Fatalf("rollback report %v", a)
	}
	if _, err := ta.store.FinishRollback(ctx, testEngine, 2, 0); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"promote", "rollback", "abort"} {
		ta.problem(ta.do("rm", "POST", "/api/v1/deployments/DEP-2/"+cmd, `{}`), 409, "")
	}
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-2/report", `{"stage":"rollback","status":"succeeded"}`), 409, "")

	// a deployment carried by an exec driver takes no reports: the engine runs its actions
	ta.must("bot", "POST", "/api/v1/deployments/start", `{"release":"REL-1","env":"prod-eu","stages":[{"name":"full","weight":100}]}`, 201)
	before := ta.auditCount()
	p = ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-3/report", `{"stage":"full","status":"succeeded"}`), 409, "")
	if !strings.Contains(p["detail"].(string), "driver shell") || p["extra"].(map[string]any)["driver_kind"] != "exec" {
		t.Fatalf("report for an exec driver: %v", p)
	}
	if evs, err := ta.store.AuditEventsFor(t.Context(), "deployment", "DEP-3", 100); err != nil || ta.auditCount() != before+1 ||
		evs[len(evs)-1].Action != "deployment.report_refused" || evs[len(evs)-1].Actor != "bot" {
		t.Fatalf("the refused report is audited as deployment.report_refused, alone: %d events, %v", ta.auditCount()-before, err)
	}
	if acts := ta.must("aud", "GET", "/api/v1/deployments/DEP-3/log", "", 200)["actions"].([]any); acts[0].(map[string]any)["status"] != "pending" {
		t.Fatalf("the refused report finished the action: %v", acts)
	}
}

// TestAPIEnvironmentDriver: an environment's own driver carries a start
// that names none, before the policy's environments.NAME.driver; a start's
// driver comes before both; a driver the policy does not know is refused
// at the start naming the environment's setting.
func TestAPIEnvironmentDriver(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"feature"}`, 201)
	ta.openPolicy() // its prod-eu has driver shell
	const start = "/api/v1/deployments/start"
	full := `"stages":[{"name":"full","weight":100}]`
	ta.problem(ta.do("admin", "PATCH", "/api/v1/environments/prod-eu", `{"driver":"no such driver!","revision":1}`), 400, "driver")
	env := ta.must("admin", "PATCH", "/api/v1/environments/prod-eu", `{"driver":"ssh","revision":1}`, 200)
	if env["driver"] != "ssh" || env["revision"] != 2.0 {
		t.Fatalf("patched environment: %v", env)
	}
	p := ta.problem(ta.do("bot", "POST", start, `{"release":"REL-1","env":"prod-eu",`+full+`}`), 400, "driver")
	if !strings.Contains(p["detail"].(string), "environment prod-eu's driver") {
		t.Fatalf("unknown record driver: %v", p)
	}
	ta.must("admin", "PATCH", "/api/v1/environments/prod-eu", `{"driver":"pipe","revision":2}`, 200)
	out := ta.must("bot", "POST", start, `{"release":"REL-1","env":"prod-eu",`+full+`}`, 201)
	if d := out["deployment"].(map[string]any); d["driver"] != "pipe" {
		t.Fatalf("the environment's driver must come before the policy's: %v", d)
	}
	ta.must("admin", "POST", "/api/v1/environments", `{"name":"prod-us","tier":"production","driver":"pipe"}`, 201)
	out = ta.must("bot", "POST", start, `{"release":"REL-2","env":"prod-us","driver":"reported",`+full+`}`, 201)
	if d := out["deployment"].(map[string]any); d["driver"] != "reported" {
		t.Fatalf("the start's driver must come before the environment's: %v", d)
	}
}

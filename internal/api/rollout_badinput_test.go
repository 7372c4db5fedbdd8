package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// written is what a refused request must leave as it was.
type written struct {
	audit                          int64
	policy, evaluations, deploys   int
	depRevision, actions, attempts string
}

// snapshot reads what a refusal must not change (dep: a deployment to
// watch, "" for none).
func (ta *testAPI) snapshot(dep string) written {
	ta.t.Helper()
	w := written{audit: ta.auditCount()}
	w.policy = int(ta.must("aud", "GET", "/api/v1/policy", "", 200)["version"].(float64))
	w.evaluations = len(depItems(ta.must("aud", "GET", "/api/v1/gates/evaluations?limit=500", "", 200)))
	w.deploys = len(depItems(ta.must("aud", "GET", "/api/v1/deployments?limit=500", "", 200)))
	if dep != "" {
		lg := ta.must("aud", "GET", "/api/v1/deployments/"+dep+"/log", "", 200)
		d, acts := lg["deployment"].(map[string]any), lg["actions"].([]any)
		w.depRevision = fmt.Sprintf("%v@%v", d["status"], d["revision"])
		w.actions = strings.Join(kinds(acts, "status"), ",")
		for _, a := range acts {
			w.attempts += fmt.Sprint(a.(map[string]any)["attempts"], " ")
		}
	}
	return w
}

// TestAPIRolloutBadInput: the bad input of issue 11, each through the API:
// an unknown driver, template, path or environment; a template whose CEL
// does not compile; a query naming an unknown variable; a deployment of a
// release into an environment it is already being deployed to; promote of
// a finished deployment; a report for a stage that does not exist. Each
// answers problem+json naming the field at fault (a state conflict: the
// current status) and writes nothing: no audit event, no policy version,
// no gate evaluation, no deployment, no change to the deployment or its
// actions.
func TestAPIRolloutBadInput(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"feature"}`, 201)
	ta.openPolicy() // drivers shell (exec) and pipe (reported), the built-in templates, no paths
	refused := func(dep string, r resp, status int, field, says string) map[string]any {
		t.Helper()
		before := ta.snapshot(dep)
		p := ta.problem(r, status, field)
		if !strings.Contains(p["detail"].(string), says) {
			t.Fatalf("%d naming %q: detail %q does not say %q", status, field, p["detail"], says)
		}
		if after := ta.snapshot(dep); after != before {
			t.Fatalf("refused (%s) but written: %+v → %+v", says, before, after)
		}
		return p
	}
	putPolicy := func(text string) resp {
		return ta.do("admin", "PUT", "/api/v1/policy", text, "Content-Type: application/yaml")
	}

	// the policy: refused as a whole, with the line and the key, the policy in force stays
	prom := func(query, failure string) string {
		return "analysis_templates:\n  errors:\n    checks:\n      - name: ratio\n        prometheus:\n          query: '" + query +
			"'\n          failure_condition: '" + failure + "'\n"
	}
	for _, c := range []struct{ yaml, says string }{
		{prom(`up{env="{{env}}"}`, "result >"), "line 7: analysis_templates.errors.checks[0].prometheus.failure_condition: does not compile"},
		{prom(`up{env="{{env}}"}`, "results > 1"), "line 7: analysis_templates.errors.checks[0].prometheus.failure_condition: does not compile"},
		{prom(`up{region="{{region}}"}`, "result > 1"), "line 6: analysis_templates.errors.checks[0].prometheus.query: uses unknown variable {{region}}"},
		{"paths:\n  quick:\n    - {name: full, weight: 100, analysis: [error_rate]}\n", `line 3: paths.quick[0].analysis[0]: "error_rate" names no analysis template`},
		{"environments:\n  prod-eu: {driver: ssh}\n", `line 2: environments.prod-eu.driver: "ssh" names no driver`},
		{"environments:\n  prod-eu: {path: nope}\n", `line 2: environments.prod-eu.path: "nope" names no path`},
	} {
		refused("", putPolicy(c.yaml), 400, "policy", c.says)
	}

	// deploy start: nothing recorded, not even the gate's evaluation
	const start = "/api/v1/deployments/start"
	full := `"stages":[{"name":"full","weight":100}]`
	for _, c := range []struct{ body, field, says string }{
		{`{"release":"REL-1","env":"prod-eu","driver":"ssh",` + full + `}`, "driver", `unknown driver "ssh"`},
		{`{"release":"REL-1","env":"prod-eu","driver":"pipe","stages":[{"name":"full","weight":100,"analysis":["error_rate"]}]}`, "path",
			`names analysis template "error_rate", which the policy does not define`},
		{`{"release":"REL-1","env":"prod-eu","driver":"pipe","path":"nope"}`, "path", "nope"},
		{`{"release":"REL-1","env":"moon","driver":"pipe",` + full + `}`, "env", "moon"},
	} {
		refused("", ta.do("bot", "POST", start, c.body), 400, c.field, c.says)
	}

	// DEP-1 runs: a second start of REL-1 into prod-eu is refused naming env and the deployment
	ta.must("bot", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"pipe","stages":[{"name":"canary","weight":10},{"name":"full","weight":100}]}`, 201)
	p := refused("DEP-1", ta.do("rm", "POST", start, `{"release":"REL-1","env":"prod-eu","driver":"pipe",`+full+`}`), 409, "env",
		"REL-1 is already being deployed into prod-eu by DEP-1")
	if p["extra"].(map[string]any)["deployment"] != "DEP-1" {
		t.Fatalf("the conflict names the deployment: %v", p)
	}
	// a report for a stage that does not exist, or that nobody waits for
	refused("DEP-1", ta.do("bot", "POST", "/api/v1/deployments/DEP-1/report", `{"stage":"half","status":"succeeded"}`), 400, "stage",
		`DEP-1 has no stage "half" (its stages: canary 10% → full 100%)`)
	refused("DEP-1", ta.do("bot", "POST", "/api/v1/deployments/DEP-1/report", `{"stage":"full","status":"succeeded"}`), 409, "",
		"waits for a report of canary, not full")

	// promote of a finished deployment: aborted DEP-1, succeeded DEP-2
	ta.must("rm", "POST", "/api/v1/deployments/DEP-1/abort", `{}`, 200)
	ta.must("bot", "POST", start, `{"release":"REL-2","env":"prod-eu","driver":"pipe",`+full+`}`, 201)
	ta.must("bot", "POST", "/api/v1/deployments/DEP-2/report", `{"stage":"full","status":"succeeded"}`, 200)
	if _, err := ta.store.SucceedDeployment(context.Background(), testEngine, 2, 0, ta.store.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for dep, status := range map[string]string{"DEP-1": "aborted", "DEP-2": "succeeded"} {
		p := refused(dep, ta.do("rm", "POST", "/api/v1/deployments/"+dep+"/promote", `{"comment":"go on"}`), 409, "",
			dep+" is "+status+"; only a running or paused deployment is promoted")
		if p["extra"].(map[string]any)["current_status"] != status {
			t.Fatalf("promote of %s %s: %v", status, dep, p)
		}
	}
	refused("DEP-1", ta.do("bot", "POST", "/api/v1/deployments/DEP-1/report", `{"stage":"nope","status":"succeeded"}`), 400, "stage", `no stage "nope"`)
}

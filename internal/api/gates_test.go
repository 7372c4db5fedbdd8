package api

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/policy"
)

// gateOpts varies the well-prepared problem-fix scenario of gateScenario.
type gateOpts struct {
	skipValidation bool // leave the RCA unvalidated (re-recorded after the fix started)
	revokeDeep     bool // revoke crypto-lib@1.0.0, a transitive dependency
}

// deployAt is a Tuesday 10:00 in Berlin, inside the window of prod-eu.
const deployAt = "2026-12-01T10:00:00+01:00"

// gateScenario prepares REL-2, a problem-fix release of checkout-api@1.4.3
// resolving PRB-1 over 1.4.2 live in prod-eu (REL-1, DEP-1):
// RCA by eng validated by pm, components approved down to crypto-lib,
// created by rm, change CHG-1 (memory-leak-patch: canary first) requested by
// rm, approved by cab. prod-eu has a weekday window 09:00–17:00 Berlin time.
func gateScenario(ta *testAPI, o gateOpts) {
	ta.t.Helper()
	// Through the store: the API's decoder takes every "start"/"end" key for an
	// RFC 3339 time, so a window's "09:00" cannot be sent (reported to the lead).
	_, err := ta.store.UpdateEnvironment(context.Background(), audit.System("test"), "prod-eu", 1, func(e *environment.Environment) error {
		e.Windows = []environment.Window{{Name: "office", TimeZone: "Europe/Berlin", Days: []string{"mon", "tue", "wed", "thu", "fri"},
			Start: "09:00", End: "17:00"}}
		return nil
	})
	if err != nil {
		ta.t.Fatal(err)
	}
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"crypto-lib","kind":"library","criticality":"medium"}`, 201)
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"payments-lib","kind":"library","criticality":"medium","depends_on":["crypto-lib"]}`, 201)
	ta.must("admin", "PATCH", "/api/v1/cis/checkout-api", `{"depends_on":["payments-lib"]}`, 200, `If-Match: "1"`)
	for _, c := range []string{
		`{"ci":"crypto-lib","version":"1.0.0"}`,
		`{"ci":"payments-lib","version":"2.1.0","dependencies":[{"ci":"crypto-lib","constraint":"^1.0.0"}]}`,
		`{"ci":"checkout-api","version":"1.4.2","dependencies":[{"ci":"payments-lib","constraint":"^2.0.0"}]}`,
		`{"ci":"checkout-api","version":"1.4.3","dependencies":[{"ci":"payments-lib","constraint":"^2.0.0"}]}`,
	} {
		ref := ta.must("eng", "POST", "/api/v1/components", c, 201)
		ta.must("rm", "POST", "/api/v1/components/"+ref["id"].(string)+"/transitions", `{"to":"approved"}`, 200)
	}
	if o.revokeDeep {
		ta.must("rm", "POST", "/api/v1/components/crypto-lib@1.0.0/transitions", `{"to":"revoked","comment":"CVE"}`, 200)
	}
	// what runs today: REL-1 with checkout-api 1.4.2
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"feature","components":["checkout-api@1.4.2"]}`, 201)
	// (through the gate under the open policy, GATE-1, and the engine's steps)
	ta.engineDeploy("REL-1", "prod-eu", deploy.Succeeded)

	ta.must("pm", "POST", "/api/v1/problems", `{"title":"checkout leaks memory","priority":3,"cis":["checkout-api"]}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"cache never evicts carts"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"comment":"heap profiles agree"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"fix_in_progress"}`, 200)
	if o.skipValidation { // a new analysis once the fix started: not validated
		ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"cache never evicts carts of expired sessions"}`, 200)
	}
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"],"components":["checkout-api@1.4.3"]}`, 201)
	ta.must("rm", "POST", "/api/v1/changes", `{"title":"fix the leak","type":"normal","release":"REL-2","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
}

func (ta *testAPI) evaluate(user, body string) map[string]any {
	ta.t.Helper()
	return ta.must(user, "POST", "/api/v1/gates/evaluate", body, 200)
}

// rules returns rule → worst result of a verdict.
func rules(t *testing.T, ev map[string]any) map[string]string {
	t.Helper()
	order := map[string]int{"skip": 0, "pass": 1, "warn": 2, "fail": 3}
	out := map[string]string{}
	for _, x := range ev["verdict"].(map[string]any)["rules"].([]any) {
		r := x.(map[string]any)
		name, res := r["rule"].(string), r["result"].(string)
		if cur, ok := out[name]; !ok || order[res] > order[cur] {
			out[name] = res
		}
	}
	return out
}

func reasons(ev map[string]any, rule string) string {
	var b strings.Builder
	for _, x := range ev["verdict"].(map[string]any)["rules"].([]any) {
		r := x.(map[string]any)
		if r["rule"] == rule {
			b.WriteString(r["reason"].(string) + " " + strings.Trim(strings.ReplaceAll(strings.TrimSpace(strings.Join(asStrings(r["records"]), ",")), " ", ""), ",") + "; ")
		}
	}
	return b.String()
}

const gateBody = `{"release":"REL-2","environment":"prod-eu","at":"` + deployAt + `"}`

func TestAPIGateAllowed(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.tickAll("CHG-1", "eng") // the change model's checklist, attested by the engineer (rule checklist)
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve","comment":"CAB 12/01"}`, 201)
	before := ta.auditCount()
	ev := ta.evaluate("bot", gateBody)
	if ev["decision"] != "allowed" || ev["id"] != "GATE-2" || ev["risk_class"] != "high" {
		t.Fatalf("want allowed GATE-2 (GATE-1: REL-1's start) at risk high: %v", ev)
	}
	got := rules(t, ev)
	for _, r := range []string{"rca_validated", "problem_state", "open_problems", "component_approval", "segregation",
		"semver", "separation_of_duties", "approvals", "maintenance_window", "canary"} {
		if got[r] != "pass" {
			t.Errorf("rule %s: %s (%s)", r, got[r], reasons(ev, r))
		}
	}
	revs := ev["input_revisions"].(map[string]any)
	for _, id := range []string{"REL-2", "CHG-1", "PRB-1", "env:prod-eu"} {
		if _, ok := revs[id]; !ok {
			t.Errorf("input revisions lack %s: %v", id, revs)
		}
	}
	if ta.auditCount() != before+1 {
		t.Fatalf("an evaluation writes one audit event")
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=gate_evaluation&record_id=GATE-2", "", 200)
	if items := aud["items"].([]any); len(items) != 1 || items[0].(map[string]any)["action"] != "gate.evaluate" {
		t.Fatalf("audit of GATE-2: %v", aud)
	}
	stored := ta.must("aud", "GET", "/api/v1/gates/evaluations/GATE-2", "", 200)
	if stored["decision"] != "allowed" || stored["created_by"] != "bot" || stored["policy_version"] != 0.0 || stored["policy_hash"] == "" {
		t.Fatalf("stored evaluation %v", stored)
	}
	l := ta.must("aud", "GET", "/api/v1/gates/evaluations?release=REL-2", "", 200)
	if len(l["items"].([]any)) != 1 {
		t.Fatalf("list %v", l)
	}
	if l := depItems(ta.must("aud", "GET", "/api/v1/gates/evaluations?release=REL-1", "", 200)); len(l) != 1 || l[0]["id"] != "GATE-1" {
		t.Fatalf("list of REL-1 (only its start) %v", l)
	}

	// outside the window (Saturday) the same release is blocked, and says why
	ev = ta.evaluate("rm", `{"release":"REL-2","environment":"prod-eu","at":"2026-12-05T10:00:00+01:00"}`)
	if ev["decision"] != "blocked" || rules(t, ev)["maintenance_window"] != "fail" {
		t.Fatalf("saturday: %v", ev)
	}
	// a path that does not start with a canary breaks rule 10 for this high-risk fix
	ev = ta.evaluate("rm", `{"release":"REL-2","environment":"prod-eu","at":"`+deployAt+`","path":[{"name":"full","weight":100}]}`)
	if ev["decision"] != "blocked" || rules(t, ev)["canary"] != "fail" {
		t.Fatalf("no canary: %v", ev)
	}
	// nobody subscribed: nothing enqueued; then a verdict turning blocked
	// (and only that, not each blocked poll) is announced to subscribers
	blocked := func() int {
		var n int
		if err := ta.store.DB().QueryRow(`SELECT COUNT(*) FROM outbox WHERE event = 'gate.blocked'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := blocked(); n != 0 {
		t.Fatalf("gate.blocked without a subscription: %d", n)
	}
	ta.must("admin", "POST", "/api/v1/webhooks", `{"url":"https://hooks.example.com/gate","events":["gate.blocked"]}`, 201)
	ta.evaluate("rm", `{"release":"REL-2","environment":"prod-eu","at":"`+deployAt+`"}`) // allowed
	for range 2 {
		ta.evaluate("rm", `{"release":"REL-2","environment":"prod-eu","at":"2026-12-05T10:00:00+01:00"}`)
	}
	if n := blocked(); n != 1 {
		t.Fatalf("gate.blocked notifications: %d, want 1", n)
	}
}

func TestAPIGateBlocked(t *testing.T) {
	t.Run("unvalidated RCA", func(t *testing.T) {
		ta := newTestAPI(t)
		gateScenario(ta, gateOpts{skipValidation: true})
		ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
		ev := ta.evaluate("bot", gateBody)
		if ev["decision"] != "blocked" || rules(t, ev)["rca_validated"] != "fail" || !strings.Contains(reasons(ev, "rca_validated"), "PRB-1") {
			t.Fatalf("%v", ev)
		}
	})
	t.Run("revoked transitive dependency", func(t *testing.T) {
		ta := newTestAPI(t)
		gateScenario(ta, gateOpts{revokeDeep: true})
		ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
		ev := ta.evaluate("bot", gateBody)
		why := reasons(ev, "component_approval")
		if ev["decision"] != "blocked" || rules(t, ev)["component_approval"] != "fail" || !strings.Contains(why, "crypto-lib") || !strings.Contains(why, "payments-lib") {
			t.Fatalf("want the path to crypto-lib named: %s", why)
		}
	})
	t.Run("approval by the RCA author", func(t *testing.T) {
		ta := newTestAPI(t)
		gateScenario(ta, gateOpts{})
		// dual approves as cab_member, then rewrites the RCA: approving one's own fix
		ta.must("dual", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
		ta.must("dual", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"eviction never runs"}`, 200)
		ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`, 200)
		ev := ta.evaluate("bot", gateBody)
		got := rules(t, ev)
		if ev["decision"] != "blocked" || got["separation_of_duties"] != "fail" || got["rca_validated"] != "pass" ||
			!strings.Contains(reasons(ev, "separation_of_duties"), "dual") {
			t.Fatalf("%v / %s", got, reasons(ev, "separation_of_duties"))
		}
	})
	t.Run("approval of content edited since", func(t *testing.T) {
		ta := newTestAPI(t)
		gateScenario(ta, gateOpts{})
		ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
		ta.must("rm", "PATCH", "/api/v1/releases/REL-2", `{"components":["checkout-api@1.4.3","payments-lib@2.1.0"]}`, 200, `If-Match: "1"`)
		ev := ta.evaluate("bot", gateBody)
		if ev["decision"] != "blocked" || rules(t, ev)["approvals"] != "fail" {
			t.Fatalf("%v", ev)
		}
		if !strings.Contains(reasons(ev, "approvals"), "1 approval(s) of content edited since do not count") {
			t.Errorf("the reason should mention the stale approval: %s", reasons(ev, "approvals"))
		}
	})
}

func TestAPIGateUndecidedAndErrors(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
	pol := "version: 7\ngate:\n  custom:\n    - name: ratio\n      expr: \"size(release.resolves) / (size(approvals) - size(approvals)) >= 0\"\n      message: ratio\n      severity: fail\n"
	ta.must("admin", "PUT", "/api/v1/policy", pol, 200, "Content-Type: application/yaml")
	ev := ta.evaluate("bot", gateBody)
	if ev["decision"] != "undecided" || ev["policy_version"] != 1.0 {
		t.Fatalf("a CEL rule that divides by zero makes the verdict undecided: %v", ev)
	}

	before := ta.auditCount()
	for _, c := range []struct {
		body, field string
		status      int
	}{
		{`{"release":"REL-9","environment":"prod-eu"}`, "", 404},
		{`{"release":"REL-2","environment":"moon"}`, "", 404},
		{`{"release":"PRB-2","environment":"prod-eu"}`, "release", 400},
		{`{"environment":"prod-eu"}`, "release", 400},
		{`{"release":"REL-2"}`, "environment", 400},
		{`{"release":"REL-2","environment":"prod-eu","at":"2026-12-01T10:00:00"}`, "at", 400},
		{`{"release":"REL-2","environment":"prod-eu","path":[{"name":"canary","weight":10}]}`, "path", 400},
		{`{"release":"REL-2","environment":"prod-eu","when":"now"}`, "", 400},
	} {
		m := ta.problem(ta.do("bot", "POST", "/api/v1/gates/evaluate", c.body), c.status, c.field)
		if c.status == 404 && !strings.Contains(m["detail"].(string), "not found") {
			t.Errorf("%s: %v", c.body, m)
		}
	}
	ta.problem(ta.do("aud", "POST", "/api/v1/gates/evaluate", gateBody), 403, "")
	ta.problem(ta.do("eng", "POST", "/api/v1/gates/evaluate", gateBody), 403, "")
	// the two 403s are audited as denials; nothing else was written
	if n := ta.auditCount(); n != before+2 {
		t.Fatalf("refused evaluations wrote %d audit events", n-before)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/gates/evaluations/GATE-99", ""), 404, "")
	ta.problem(ta.do("aud", "GET", "/api/v1/gates/evaluations?decision=maybe", ""), 400, "decision")
}

func TestAPIPolicy(t *testing.T) {
	ta := newTestAPI(t)
	def := ta.must("aud", "GET", "/api/v1/policy", "", 200)
	if def["source"] != "default" || def["version"] != 0.0 || !strings.HasPrefix(def["hash"].(string), "sha256:") {
		t.Fatalf("default policy %v", def)
	}
	good := "version: 3\ngate:\n  rules:\n    open_problems:\n      min_priority: 1\n"
	ta.problem(ta.do("rm", "PUT", "/api/v1/policy", good, "Content-Type: application/yaml"), 403, "")
	r := ta.do("admin", "PUT", "/api/v1/policy", good, "Content-Type: application/yaml")
	if r.status != 200 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	cur := ta.must("aud", "GET", "/api/v1/policy", "", 200)
	if cur["version"] != 1.0 || cur["yaml"] != good || cur["created_by"] != "admin" ||
		cur["policy"].(map[string]any)["gate"].(map[string]any)["rules"].(map[string]any)["open_problems"].(map[string]any)["min_priority"] != 1.0 {
		t.Fatalf("stored policy %v", cur)
	}
	before := ta.auditCount()
	for _, c := range []struct{ body, ctype, field, want string }{
		{"version: 4\ngate:\n  rules:\n    open_problems:\n      min_priority: 9\n", "application/yaml", "policy", "line 5"},
		{"version: 4\nunknown_key: 1\n", "text/plain", "policy", "line 2"},
		{"version: 4\ngate:\n  custom:\n    - name: bad\n      expr: \"release.version +\"\n      message: x\n", "application/yaml", "policy", "line 5"},
		{`{"yaml":""}`, "application/json", "yaml", ""},
	} {
		m := ta.problem(ta.do("admin", "PUT", "/api/v1/policy", c.body, "Content-Type: "+c.ctype), 400, c.field)
		if !strings.Contains(m["detail"].(string), c.want) {
			t.Errorf("%q: detail %v, want %q", c.body, m["detail"], c.want)
		}
	}
	ta.problem(ta.do("admin", "PUT", "/api/v1/policy", good, "Content-Type: application/yaml", `If-Match: "7"`), 412, "")
	if ta.auditCount() != before {
		t.Fatal("refused policies wrote audit events")
	}
	if again := ta.must("aud", "GET", "/api/v1/policy", "", 200); again["version"] != 1.0 || again["hash"] != cur["hash"] {
		t.Fatalf("the last good policy must stay: %v", again)
	}
	// the same policy again is not a new version; JSON form and If-Match work
	same := ta.must("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 3\ngate:\n  rules:\n    open_problems:\n      min_priority: 1\n"}`, 200, `If-Match: "1"`)
	if same["version"] != 1.0 || ta.auditCount() != before {
		t.Fatalf("same policy: %v", same)
	}
	next := ta.must("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 4\n","revision":1}`, 200)
	if next["version"] != 2.0 || ta.auditCount() != before+1 {
		t.Fatalf("next policy %v", next)
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=policy&record_id=policy", "", 200)
	items := aud["items"].([]any)
	last := items[len(items)-1].(map[string]any)
	if len(items) != 2 || last["action"] != "policy.update" {
		t.Fatalf("policy audit %v", aud)
	}

	// another replica on the same database picks the new version up
	other := New(Config{Store: ta.store, DataDir: t.TempDir()})
	other.policy.every = 1
	ap, err := other.currentPolicy(t.Context())
	if err != nil || ap.stored.Version != 2 || ap.pol.Version != 4 {
		t.Fatalf("replica policy %+v %v", ap, err)
	}
	ta.must("admin", "PUT", "/api/v1/policy", "version: 5\n", 200, "Content-Type: application/yaml")
	if ap, _ := other.currentPolicy(t.Context()); ap.stored.Version != 3 || ap.pol.Version != 5 {
		t.Fatalf("replica did not reload: %+v", ap.stored)
	}
}

func TestAPIValidateRCA(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"t","priority":2,"cis":["checkout-api"]}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`), 412, "")
	ta.must("pm", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small"}`, 200)
	before := ta.auditCount()
	ta.problem(ta.do("eng", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`), 403, "")
	ta.problem(ta.do("admin", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`), 403, "") // pm wrote it
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-9/rca/validations", `{}`), 404, "")
	if n := ta.auditCount(); n != before+3 { // the three refusals (two roles, one separation of duties)
		t.Fatalf("refusals wrote %d events", n-before)
	}
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small for peak"}`, 200)
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"revision":1}`), 412, "")
	p := ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"comment":"load test reproduces it"}`, 200)
	if p["rca"].(map[string]any)["validated_by"] != "pm" {
		t.Fatalf("validated %v", p)
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=problem&record_id=PRB-1", "", 200)
	items := aud["items"].([]any)
	if last := items[len(items)-1].(map[string]any); last["action"] != "problem.validate_rca" || last["role"] != "problem_manager" {
		t.Fatalf("audit %v", last)
	}
}

// TestAPIStartPolicy: serve --policy stores the file as the current version
// once (a restart with the same file adds nothing), and the server runs it.
func TestAPIStartPolicy(t *testing.T) {
	ta := newTestAPI(t)
	text := []byte("version: 9\ngate:\n  rules:\n    semver: {enabled: false}\n")
	pol, err := policy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		srv := New(Config{Store: ta.store, DataDir: t.TempDir(), Policy: pol, PolicyYAML: text})
		if err := srv.InitPolicy(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	cur := ta.must("aud", "GET", "/api/v1/policy", "", 200)
	if cur["version"] != 1.0 || cur["yaml"] != string(text) || cur["created_by"] != "system" || cur["hash"] != pol.Hash() {
		t.Fatalf("start policy %v", cur)
	}
}

// TestPolicyReadWritesNothing: the policy in force is only read during a
// request; the starting policy is stored by InitPolicy at boot, not by the
// first request that needs a policy (a gate evaluation, say).
func TestPolicyReadWritesNothing(t *testing.T) {
	ta := newTestAPI(t)
	pol, err := policy.Parse([]byte("version: 9\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := ta.auditCount()
	srv := New(Config{Store: ta.store, DataDir: t.TempDir(), Policy: pol, PolicyYAML: []byte("version: 9\n")})
	ap, err := srv.currentPolicy(t.Context())
	if err != nil || ap.stored.Version != 0 || ta.auditCount() != before {
		t.Fatalf("a policy read wrote: version %d, %d audit events, %v", ap.stored.Version, ta.auditCount()-before, err)
	}
	if v, err := ta.store.PolicyVersion(t.Context()); err != nil || v != 0 {
		t.Fatalf("stored policy version %d %v", v, err)
	}
}

// TestAPIPolicyDefaultRoundTrip: the YAML served for the built-in policy is
// a valid policy file that means the same (same canonical hash).
func TestAPIPolicyDefaultRoundTrip(t *testing.T) {
	ta := newTestAPI(t)
	def := ta.must("aud", "GET", "/api/v1/policy", "", 200)
	put := ta.must("admin", "PUT", "/api/v1/policy", def["yaml"].(string), 200, "Content-Type: application/yaml")
	if put["version"] != 1.0 || put["hash"] != def["hash"] || put["source"] != "stored" {
		t.Fatalf("round trip: %v vs %v", put["hash"], def["hash"])
	}
}

// While one request checks the stored policy version, the others go on
// with the policy in force instead of waiting for that read.
func TestPolicyCheckDoesNotHoldOthers(t *testing.T) {
	ta := newTestAPI(t)
	srv := New(Config{Store: ta.store, DataDir: t.TempDir()})
	srv.policy.every = 1 // every call is due for a check
	first, err := srv.currentPolicy(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	srv.policy.mu.Lock() // a check in progress
	done := make(chan *activePolicy)
	go func() {
		ap, _ := srv.currentPolicy(t.Context())
		done <- ap
	}()
	select {
	case ap := <-done:
		if ap != first {
			t.Fatalf("got %+v, want the policy in force", ap)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request waited for another's policy check")
	}
	srv.policy.mu.Unlock()
}

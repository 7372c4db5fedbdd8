package api

import (
	"strings"
	"testing"
	"time"
)

// probRCA takes PRB-1 (RCA by eng) to rca.
func probRCA(ta *testAPI) {
	ta.t.Helper()
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	for _, to := range []string{"assess", "rca"} {
		ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"`+to+`"}`, 200)
	}
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small"}`, 200)
}

func (ta *testAPI) revisionOf(path string) float64 {
	ta.t.Helper()
	return ta.must("aud", "GET", path, "", 200)["revision"].(float64)
}

// TestAPIProblemResolveRules: fix_in_progress needs a validated RCA; a hand
// move to resolved needs a deviation approved by another problem manager;
// refusals change nothing; the deviation is reported with the others.
func TestAPIProblemResolveRules(t *testing.T) {
	ta := newTestAPI(t)
	probRCA(ta)
	rev := ta.revisionOf("/api/v1/problems/PRB-1")
	m := ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"fix_in_progress"}`), 412, "")
	if !strings.Contains(m["detail"].(string), "not validated") || ta.revisionOf("/api/v1/problems/PRB-1") != rev {
		t.Fatalf("unvalidated RCA: %v", m)
	}
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"fix_in_progress"}`, 200)
	rev = ta.revisionOf("/api/v1/problems/PRB-1")
	const path = "/api/v1/problems/PRB-1/transitions"
	ta.problem(ta.do("pm", "POST", path, `{"to":"resolved"}`), 412, "")
	ta.problem(ta.do("pm", "POST", path, `{"to":"resolved","deviation":{"approved_by":"pm2"}}`), 400, "deviation.reason")
	ta.problem(ta.do("pm", "POST", path, `{"to":"resolved","deviation":{"reason":"hotfix","approved_by":"pm"}}`), 403, "")
	ta.problem(ta.do("pm", "POST", path, `{"to":"resolved","deviation":{"reason":"hotfix","approved_by":"eng"}}`), 403, "")
	ta.problem(ta.do("pm", "POST", path, `{"to":"rca","deviation":{"reason":"hotfix","approved_by":"pm2"}}`), 400, "deviation")
	if got := ta.revisionOf("/api/v1/problems/PRB-1"); got != rev {
		t.Fatalf("refusals changed the problem: revision %v → %v", rev, got)
	}
	p := ta.must("pm", "POST", path, `{"to":"resolved","deviation":{"reason":"pool resized by hand on the hosts","approved_by":"pm2"}}`, 200)
	if p["status"] != "resolved" || p["resolved_by"] != "pm" || p["observation_until"] == nil {
		t.Fatalf("resolved: %v", p)
	}
	devs := ta.must("aud", "GET", "/api/v1/deviations?record=problem", "", 200)["items"].([]any)
	if len(devs) != 1 {
		t.Fatalf("problem deviations: %v", devs)
	}
	d := devs[0].(map[string]any)
	if d["problem"] != "PRB-1" || d["step_skipped"] != "production_fix" || d["approved_by"] != "pm2" || d["requested_by"] != "pm" {
		t.Fatalf("deviation %v", d)
	}
	if l := ta.must("aud", "GET", "/api/v1/deviations", "", 200)["items"].([]any); len(l) != 0 {
		t.Fatalf("change deviations listed a problem's: %v", l)
	}
	rs := ta.must("aud", "GET", "/api/v1/problems/PRB-1/resolutions", "", 200)["items"].([]any)
	if len(rs) != 1 || rs[0].(map[string]any)["kind"] != "deviation" || rs[0].(map[string]any)["reason"] != "pool resized by hand on the hosts" {
		t.Fatalf("resolutions %v", rs)
	}
}

// TestAPIRecurrenceNeedsNewValidationOrRelease: after a recurrence the
// RCA's validation is withdrawn (and shown so); the problem is resolved
// again only after a new validation (or a new production release).
func TestAPIRecurrenceNeedsNewValidationOrRelease(t *testing.T) {
	ta := newTestAPI(t)
	resolvedViaAPI(t, ta)
	ta.clock.Advance(time.Hour)
	if got := ta.must("bot", "POST", "/api/v1/hooks/alertmanager", amBody("firing", amLabels, ta.clock.T, time.Time{}), 200); got["recurrences"] != 1.0 {
		t.Fatalf("ingest: %v", got)
	}
	p := ta.must("aud", "GET", "/api/v1/problems/PRB-1", "", 200)
	if rca := p["rca"].(map[string]any); p["status"] != "fix_in_progress" || rca["validated_by"] != nil || rca["summary"] != "nil map" {
		t.Fatalf("after the recurrence: %v", p)
	}
	vs := ta.must("aud", "GET", "/api/v1/problems/PRB-1/rca/validations", "", 200)["items"].([]any)
	if len(vs) != 1 || vs[0].(map[string]any)["withdrawn_at"] == nil {
		t.Fatalf("validations %v", vs)
	}
	dev := `{"to":"resolved","deviation":{"reason":"restarted the pods","approved_by":"pm2"}}`
	m := ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/transitions", dev), 412, "")
	if !strings.Contains(m["detail"].(string), "not validated") {
		t.Fatalf("re-resolving: %v", m)
	}
	ta.must("pm2", "POST", "/api/v1/problems/PRB-1/rca/validations", `{"comment":"re-checked after the recurrence"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", dev, 200)
}

// TestAPIRCADocKeptOnReRecord: re-recording an RCA without doc_sha256 keeps
// its document; an explicit "" removes it.
func TestAPIRCADocKeptOnReRecord(t *testing.T) {
	ta := newTestAPI(t)
	probRCA(ta)
	const doc = "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small","doc_sha256":"`+doc+`"}`, 200)
	p := ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small for the retry storms"}`, 200)
	if rca := p["rca"].(map[string]any); rca["doc_sha256"] != doc || rca["summary"] != "pool too small for the retry storms" {
		t.Fatalf("re-recorded without doc: %v", rca)
	}
	p = ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"pool too small","doc_sha256":""}`, 200)
	if rca := p["rca"].(map[string]any); rca["doc_sha256"] != nil {
		t.Fatalf("explicit removal kept the doc: %v", rca)
	}
}

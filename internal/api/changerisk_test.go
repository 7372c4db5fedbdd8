package api

import (
	"testing"
)

// Moving a change to assess computes its risk class by the policy (here:
// production and a high-criticality CI → high); an override needs a
// justification (400 naming risk_justification, nothing written), is
// audited as change.risk_override, and is what the gate then uses; setting
// the computed class back clears it.
func TestAPIChangeRiskClass(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.problem(ta.do("rm", "POST", "/api/v1/changes", `{"title":"x","type":"normal","risk_class":"low"}`), 400, "risk_justification")
	ta.problem(ta.do("rm", "POST", "/api/v1/changes", `{"title":"x","type":"normal","risk_justification":"why"}`), 400, "risk_justification")

	c := ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"assess"}`, 200)
	if c["risk_computed"] != "high" || c["risk_class"] != "high" || c["risk_justification"] != "" {
		t.Fatalf("assessed %v", c)
	}
	before := ta.auditCount()
	ta.problem(ta.do("rm", "PATCH", "/api/v1/changes/CHG-1", `{"risk_class":"medium"}`, `If-Match: "2"`), 400, "risk_justification")
	ta.problem(ta.do("rm", "PATCH", "/api/v1/changes/CHG-1", `{"risk_class":"medium","risk_justification":"   "}`, `If-Match: "2"`), 400, "risk_justification")
	if ta.auditCount() != before {
		t.Fatal("a refused override wrote an audit event")
	}
	if got := ta.must("aud", "GET", "/api/v1/changes/CHG-1", "", 200); got["risk_class"] != "high" || got["revision"] != 2.0 {
		t.Fatalf("a refused override changed the change: %v", got)
	}
	c = ta.must("rm", "PATCH", "/api/v1/changes/CHG-1", `{"risk_class":"medium","risk_justification":"feature-flagged, off by default"}`, 200, `If-Match: "2"`)
	if c["risk_class"] != "medium" || c["risk_computed"] != "high" || c["risk_override_by"] != "rm" {
		t.Fatalf("override %v", c)
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=change&record_id=CHG-1", "", 200)
	items := aud["items"].([]any)
	if last := items[len(items)-1].(map[string]any); last["action"] != "change.risk_override" || last["actor"] != "rm" {
		t.Fatalf("audit %v", last)
	}
	if ev := ta.evaluate("bot", gateBody); ev["risk_class"] != "medium" {
		t.Fatalf("the gate ignores the override: %v", ev["risk_class"])
	}
	c = ta.must("rm", "PATCH", "/api/v1/changes/CHG-1", `{"risk_class":"high"}`, 200, `If-Match: "3"`)
	if c["risk_class"] != "high" || c["risk_justification"] != "" || c["risk_override_by"] != "" {
		t.Fatalf("back to the computed class %v", c)
	}
	if ev := ta.evaluate("bot", gateBody); ev["risk_class"] != "high" {
		t.Fatalf("gate after clearing the override: %v", ev["risk_class"])
	}
}

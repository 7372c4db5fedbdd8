package api

import (
	"strings"
	"testing"
)

// An admin cannot bypass separation of duties silently: without a
// separation_of_duties deviation the approval is refused and nothing is
// stored; with one it is stored, audited as a bypass, listed by
// GET /api/v1/deviations?kind=sod, and the gate shows a warning.
func TestAPIAdminSoDBypassIsADeviation(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("admin", "POST", "/api/v1/changes", `{"title":"weekend fix","type":"normal","release":"REL-2","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
	before := ta.auditCount()
	ta.problem(ta.do("admin", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve"}`), 403, "")
	if l := ta.must("aud", "GET", "/api/v1/approvals?record=CHG-2", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("a refused approval was stored: %v", l)
	}
	if l := ta.must("aud", "GET", "/api/v1/deviations?kind=sod", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("no deviation yet: %v", l)
	}
	// another kind of deviation does not open the door
	ta.must("pm", "POST", "/api/v1/changes/CHG-2/deviations", `{"step_skipped":"maintenance_window","reason":"night","approved_by":"pm"}`, 200)
	ta.problem(ta.do("admin", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve"}`), 403, "")
	ta.must("pm", "POST", "/api/v1/changes/CHG-2/deviations",
		`{"step_skipped":"separation_of_duties","reason":"only on-call admin available","approved_by":"pm"}`, 200)
	a := ta.must("admin", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve","comment":"on call"}`, 201)
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=approval&record_id="+a["id"].(string), "", 200)
	var actions []string
	for _, e := range aud["items"].([]any) {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if strings.Join(actions, ",") != "approval.sod_bypass,approval.approve" {
		t.Fatalf("audit of the bypass: %v", actions)
	}
	if ta.auditCount() <= before {
		t.Fatal("no audit events")
	}
	l := ta.must("aud", "GET", "/api/v1/deviations?kind=sod", "", 200)
	items := l["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("sod deviations %v", l)
	}
	d := items[0].(map[string]any)
	if d["id"] != "CHG-2#2" || d["change"] != "CHG-2" || d["approved_by"] != "pm" || d["reason"] != "only on-call admin available" || d["release"] != "REL-2" {
		t.Fatalf("deviation %v", d)
	}
	if l := ta.must("aud", "GET", "/api/v1/deviations", "", 200); len(l["items"].([]any)) != 2 {
		t.Fatalf("all deviations %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/deviations?kind=odd", ""), 400, "kind")
	ev := ta.evaluate("bot", gateBody)
	if rules(t, ev)["separation_of_duties"] != "warn" || !strings.Contains(reasons(ev, "separation_of_duties"), "only on-call admin available") {
		t.Fatalf("gate: %s", reasons(ev, "separation_of_duties"))
	}
}

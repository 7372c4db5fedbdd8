package api

import (
	"strconv"
	"strings"
	"testing"
)

const (
	heapItem = "heap profile before/after attached"
	soakItem = "soak test of at least 24h passed"
)

// tickBody is the body that ticks item with evidence.
func tickBody(item, evidence string) string {
	return `{"item":"` + item + `","ticked":true,"evidence":"` + evidence + `"}`
}

// TestAPIChangeChecklist: GET shows a change's checklist with what is
// missing; POST ticks and unticks items as the caller's attestation under
// If-Match, refuses what is not on the list naming item, refuses callers
// who may not work on changes and approvers (audited), and the gate's rule
// checklist follows the ticks.
func TestAPIChangeChecklist(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	ta.must("rm", "POST", "/api/v1/changes", `{"title":"ship it","type":"normal","release":"REL-1","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
	const path = "/api/v1/changes/CHG-1/checklist"

	r := ta.do("aud", "GET", path, "")
	cl := r.json(t)
	if r.status != 200 || r.header.Get("ETag") != `"1"` || cl["model"] != "memory-leak-patch" || cl["frozen_at"] != nil ||
		strings.Join(asStrings(cl["missing"]), "|") != heapItem+"|"+soakItem {
		t.Fatalf("GET %s: %d %v %s", path, r.status, r.header.Get("ETag"), r.body)
	}
	ta.problem(ta.do("eng", "POST", path, tickBody(heapItem, "")), 412, "If-Match")
	ta.problem(ta.do("eng", "POST", path, tickBody("heap profile", ""), `If-Match: "1"`), 400, "item")
	ta.problem(ta.do("eng", "POST", path, `{"item":"`+heapItem+`"}`, `If-Match: "1"`), 400, "ticked")
	ta.problem(ta.do("eng", "POST", path, `{"item":"`+heapItem+`","ticked":false,"evidence":"x"}`, `If-Match: "1"`), 400, "evidence")
	ta.problem(ta.do("eng", "POST", path, `{"item":"`+heapItem+`","ticked":true,"color":"red"}`, `If-Match: "1"`), 400, "color")
	for _, who := range []string{"aud", "cab", "bot", "val"} { // an attestation is a person's who works on changes
		ta.problem(ta.do(who, "POST", path, tickBody(heapItem, ""), `If-Match: "1"`), 403, "")
	}

	gate := `{"release":"REL-1","environment":"prod-eu"}`
	if rs := reasons(ta.evaluate("bot", gate), "checklist"); !strings.Contains(rs, `"`+heapItem+`" (the policy's change model) is not ticked on CHG-1`) ||
		!strings.Contains(rs, soakItem) {
		t.Fatalf("gate before the ticks: %s", rs)
	}

	r = ta.do("eng", "POST", path, tickBody(heapItem, "https://wiki.example/heap"), `If-Match: "1"`)
	cl = r.json(t)
	first := cl["items"].([]any)[0].(map[string]any)
	if r.status != 200 || r.header.Get("ETag") != `"2"` || first["ticked_by"] != "eng" || first["evidence"] != "https://wiki.example/heap" ||
		strings.Join(asStrings(cl["missing"]), "|") != soakItem {
		t.Fatalf("tick: %d %s", r.status, r.body)
	}
	if c := ta.must("aud", "GET", "/api/v1/changes/CHG-1", "", 200); c["revision"] != 2.0 {
		t.Fatalf("the tick did not move the change's revision: %v", c["revision"])
	}
	ta.problem(ta.do("eng2", "POST", path, tickBody(soakItem, ""), `If-Match: "1"`), 412, "") // read before eng's tick
	ta.problem(ta.do("eng2", "POST", path, tickBody(heapItem, ""), `If-Match: "2"`), 409, "") // eng attested it already

	// An approver reviews the attestations; the refusal is audited with its rule.
	ta.must("dual", "POST", "/api/v1/approvals", `{"record":"CHG-1","decision":"approve","role":"cab_member"}`, 201)
	before := ta.auditCount()
	if m := ta.problem(ta.do("dual", "POST", path, tickBody(soakItem, ""), `If-Match: "2"`), 403, ""); !strings.Contains(m["detail"].(string), "dual approved CHG-1") {
		t.Fatalf("approver's tick: %v", m)
	}
	if ta.auditCount() != before+1 {
		t.Fatal("the refusal is audited once, and nothing else is written")
	}

	ta.must("eng2", "POST", path, `{"item":"`+soakItem+`","ticked":true,"revision":2}`, 200)
	ev := ta.evaluate("bot", gate)
	if rules(t, ev)["checklist"] != "pass" || !strings.Contains(reasons(ev, "checklist"), `"`+soakItem+`" by eng2`) {
		t.Fatalf("gate after the ticks: %s", reasons(ev, "checklist"))
	}

	cl = ta.must("rm", "POST", path, `{"item":"`+heapItem+`","ticked":false}`, 200, `If-Match: "3"`)
	if strings.Join(asStrings(cl["missing"]), "|") != heapItem || cl["revision"] != 4.0 {
		t.Fatalf("untick: %v", cl)
	}
	aud := ta.must("aud", "GET", "/api/v1/audit/events?record_type=change_checklist&record_id=CHG-1", "", 200)
	var acts []string
	for _, e := range aud["items"].([]any) {
		e := e.(map[string]any)
		acts = append(acts, e["action"].(string)+" by "+e["actor"].(string))
	}
	if got := strings.Join(acts, ", "); got != "change.checklist_check by eng, change.checklist_check by eng2, change.checklist_uncheck by rm" {
		t.Fatalf("checklist audit: %s", got)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/changes/CHG-9/checklist", ""), 404, "")
}

// tickAll ticks, as user, every item missing from change chg's checklist
// (integration scenarios that expect an allowed gate).
func (ta *testAPI) tickAll(chg, user string) {
	ta.t.Helper()
	path := "/api/v1/changes/" + chg + "/checklist"
	cl := ta.must(user, "GET", path, "", 200)
	for _, item := range asStrings(cl["missing"]) {
		cl = ta.must(user, "POST", path, `{"item":"`+item+`","ticked":true,"evidence":"attached to the change","revision":`+
			strconv.FormatFloat(cl["revision"].(float64), 'f', 0, 64)+`}`, 200)
	}
}

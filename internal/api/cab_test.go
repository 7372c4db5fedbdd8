package api

import (
	"testing"
)

// CAB meetings: the agenda is picked by rule (changes in authorize whose
// risk class needs a CAB), a meeting without a problem_manager cannot
// approve a problem fix (412 naming the role, nothing written), only
// attendees decide, and a decision is an approval linked to the meeting
// that the gate counts.
func TestAPICABMeetings(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"assess"}`, 200) // computed: high (CAB)
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"authorize"}`, 200)
	// a low-risk change waiting for authorisation stays off the agenda
	ta.must("rm", "POST", "/api/v1/changes", `{"title":"docs","type":"normal"}`, 201)
	ta.must("rm", "POST", "/api/v1/changes/CHG-2/transitions", `{"to":"assess"}`, 200)
	ta.must("rm", "POST", "/api/v1/changes/CHG-2/transitions", `{"to":"authorize"}`, 200)

	ta.problem(ta.do("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly","scheduled_at":"2026-12-01T14:00:00Z","attendees":["cab","ghost"]}`), 400, "attendees")
	ta.problem(ta.do("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly","attendees":["cab"]}`), 400, "scheduled_at")
	ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings", `{"title":"weekly","scheduled_at":"2026-12-01T14:00:00Z","attendees":["cab"]}`), 403, "")
	m := ta.must("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly","scheduled_at":"2026-12-01T15:00:00+01:00","attendees":["rm","cab","cab"]}`, 201)
	if m["id"] != "CAB-1" || len(m["attendees"].([]any)) != 2 || m["scheduled_at"] != "2026-12-01T14:00:00Z" || m["status"] != "scheduled" {
		t.Fatalf("created %v", m)
	}
	ag := ta.must("aud", "GET", "/api/v1/cab/meetings/CAB-1/agenda", "", 200)
	items := ag["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["change"] != "CHG-1" || items[0].(map[string]any)["problem_fix"] != true ||
		ag["may_approve_fixes"] != false || ag["missing_attendee_role"] != "problem_manager" {
		t.Fatalf("agenda %v", ag)
	}
	before := ta.auditCount()
	p := ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings/CAB-1/decisions", `{"change":"CHG-1","decision":"approve"}`), 412, "attendees")
	if p["extra"].(map[string]any)["missing_attendee_role"] != "problem_manager" {
		t.Fatalf("412 names the missing role: %v", p)
	}
	ta.problem(ta.do("pm", "POST", "/api/v1/cab/meetings/CAB-1/decisions", `{"change":"CHG-1","decision":"approve"}`), 403, "")  // not attending
	ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings/CAB-1/decisions", `{"change":"CHG-2","decision":"approve"}`), 412, "") // not on the agenda
	ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings/CAB-1/decisions", `{"change":"REL-2","decision":"approve"}`), 400, "change")
	ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings/CAB-9/decisions", `{"change":"CHG-1","decision":"approve"}`), 404, "")
	if l := ta.must("aud", "GET", "/api/v1/approvals?record=CHG-1", "", 200); len(l["items"].([]any)) != 0 || ta.auditCount() != before {
		t.Fatalf("refused decisions wrote: %v (audit +%d)", l, ta.auditCount()-before)
	}

	ta.must("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly, with PM","scheduled_at":"2026-12-01T14:00:00Z","attendees":["cab","pm"]}`, 201)
	if ag := ta.must("cab", "GET", "/api/v1/cab/meetings/CAB-2/agenda", "", 200); ag["may_approve_fixes"] != true {
		t.Fatalf("agenda with a problem manager %v", ag)
	}
	a := ta.must("cab", "POST", "/api/v1/cab/meetings/CAB-2/decisions", `{"change":"CHG-1","decision":"approve","comment":"rollback plan ok"}`, 201)
	if a["meeting"] != "CAB-2" || a["record"] != "CHG-1" || a["role"] != "cab_member" || a["approver"] != "cab" {
		t.Fatalf("decision %v", a)
	}
	got := ta.must("aud", "GET", "/api/v1/approvals/"+a["id"].(string), "", 200)
	if got["meeting"] != "CAB-2" {
		t.Fatalf("stored decision %v", got)
	}
	if l := ta.must("aud", "GET", "/api/v1/cab/meetings", "", 200); len(l["items"].([]any)) != 2 {
		t.Fatalf("list %v", l)
	}
	ev := ta.evaluate("bot", gateBody)
	if rules(t, ev)["approvals"] != "pass" {
		t.Fatalf("the CAB decision counts for the gate: %s", reasons(ev, "approvals"))
	}
}

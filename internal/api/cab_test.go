package api

import (
	"strings"
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
	if l := ta.must("aud", "GET", "/api/v1/approvals?record=CHG-1", "", 200); len(l["items"].([]any)) != 0 || ta.auditCount() != before+1 { // the 403 is audited
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

// The meeting lifecycle over HTTP: PATCH needs If-Match (412 when missing
// or stale) and only release managers; a late problem_manager lets a held
// meeting approve a problem fix; an illegal move answers 409 with
// current_status and allowed_moves; closing needs the minutes and
// canceling a reason (400 naming comment); a closed or canceled meeting
// decides nothing (409 naming its status, nothing written). Every move and
// update is audited.
func TestAPICABLifecycle(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"assess"}`, 200)
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"authorize"}`, 200)
	ta.must("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly","scheduled_at":"2026-12-01T14:00:00Z","attendees":["cab"]}`, 201)
	const path = "/api/v1/cab/meetings/CAB-1"
	const decide = `{"change":"CHG-1","decision":"approve"}`

	ta.problem(ta.do("rm", "PATCH", path, `{"attendees":["cab","pm"]}`), 412, "If-Match")
	ta.problem(ta.do("cab", "PATCH", path, `{"attendees":["cab","pm"]}`, `If-Match: "1"`), 403, "")
	ta.problem(ta.do("rm", "PATCH", path, `{"attendees":["cab","ghost"]}`, `If-Match: "1"`), 400, "attendees")
	r := ta.do("rm", "PATCH", path, `{"title":"weekly CAB","attendees":["pm","cab"]}`, `If-Match: "1"`)
	if m := r.json(t); r.status != 200 || r.header.Get("ETag") != `"2"` || m["title"] != "weekly CAB" || len(m["attendees"].([]any)) != 2 {
		t.Fatalf("patch %d %s", r.status, r.body)
	}
	p := ta.problem(ta.do("rm", "PATCH", path, `{"title":"x"}`, `If-Match: "1"`), 412, "")
	if p["extra"].(map[string]any)["current_revision"] != float64(2) {
		t.Fatalf("stale patch %v", p)
	}
	p = ta.problem(ta.do("rm", "POST", path+"/transitions", `{"to":"closed","comment":"minutes"}`), 409, "")
	if x := p["extra"].(map[string]any); x["current_status"] != "scheduled" || len(x["allowed_moves"].([]any)) != 2 {
		t.Fatalf("illegal move %v", p)
	}
	ta.problem(ta.do("rm", "POST", path+"/transitions", `{"to":"adjourned"}`), 400, "status")
	ta.problem(ta.do("cab", "POST", path+"/transitions", `{"to":"held"}`), 403, "")
	ta.problem(ta.do("rm", "POST", path+"/transitions", `{"to":"held","revision":1}`), 412, "")
	if m := ta.must("rm", "POST", path+"/transitions", `{"to":"held","comment":"quorum","revision":2}`, 200); m["status"] != "held" || m["held_at"] == nil {
		t.Fatalf("held %v", m)
	}
	ta.problem(ta.do("rm", "PATCH", path, `{"scheduled_at":"2026-12-02T14:00:00Z"}`, `If-Match: "3"`), 409, "scheduled_at")
	if a := ta.must("cab", "POST", path+"/decisions", decide, 201); a["meeting"] != "CAB-1" {
		t.Fatalf("decision while held %v", a)
	}
	ta.problem(ta.do("rm", "POST", path+"/transitions", `{"to":"closed"}`, `If-Match: "3"`), 400, "comment")
	m := ta.must("rm", "POST", path+"/transitions", `{"to":"closed","comment":"https://wiki/cab/2026-12-01"}`, 200, `If-Match: "3"`)
	if m["status"] != "closed" || m["minutes"] != "https://wiki/cab/2026-12-01" || m["closed_at"] == nil || m["revision"] != float64(4) {
		t.Fatalf("closed %v", m)
	}
	before := ta.auditCount()
	p = ta.problem(ta.do("cab", "POST", path+"/decisions", decide), 409, "status")
	if p["extra"].(map[string]any)["current_status"] != "closed" {
		t.Fatalf("decision in a closed meeting %v", p)
	}
	ta.problem(ta.do("rm", "PATCH", path, `{"title":"y"}`, `If-Match: "4"`), 409, "status")
	ta.problem(ta.do("rm", "POST", path+"/transitions", `{"to":"canceled","comment":"late"}`), 409, "")
	if ta.auditCount() != before {
		t.Fatal("refusals wrote")
	}

	ta.must("rm", "POST", "/api/v1/cab/meetings", `{"title":"extra","scheduled_at":"2026-12-03T14:00:00Z","attendees":["cab"]}`, 201)
	ta.problem(ta.do("rm", "POST", "/api/v1/cab/meetings/CAB-2/transitions", `{"to":"canceled"}`), 400, "comment")
	if m := ta.must("rm", "POST", "/api/v1/cab/meetings/CAB-2/transitions", `{"to":"canceled","comment":"no quorum"}`, 200); m["cancel_reason"] != "no quorum" || m["held_at"] != nil {
		t.Fatalf("canceled %v", m)
	}
	ta.problem(ta.do("cab", "POST", "/api/v1/cab/meetings/CAB-2/decisions", decide), 409, "status")
	ev := ta.must("aud", "GET", "/api/v1/audit/events?record_type=cab_meeting&record_id=CAB-1", "", 200)
	var acts []string
	for _, e := range ev["items"].([]any) {
		acts = append(acts, e.(map[string]any)["action"].(string))
	}
	if strings.Join(acts, ",") != "cab.create,cab.update,cab.move,cab.move" {
		t.Fatalf("audit %v", acts)
	}
}

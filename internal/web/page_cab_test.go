package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// cabScenario adds to releaseScenario CHG-1 (REL-1 to prod-eu, requested
// by rm: high risk), then REL-2 of the critical CI ledger and CHG-2 for it
// (critical risk, newer), both waiting for authorisation, and CAB-1 with
// cab, pm and rm attending.
func cabScenario(tw *testWeb) {
	tw.t.Helper()
	releaseScenario(tw)
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"fix the leak","type":"normal","release":"REL-1","env":"prod-eu"}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/cis", `{"name":"ledger","kind":"service","criticality":"critical"}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/components", `{"ci":"ledger","version":"2.0.0"}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/releases", `{"version":"2.0.0","type":"feature","components":["ledger@2.0.0"]}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/changes", `{"title":"ledger 2","type":"normal","release":"REL-2","env":"prod-eu"}`, 201)
	for _, c := range []string{"CHG-1", "CHG-2"} {
		tw.apiCall("rm", "POST", "/api/v1/changes/"+c+"/transitions", `{"to":"assess"}`, 200)
		tw.apiCall("rm", "POST", "/api/v1/changes/"+c+"/transitions", `{"to":"authorize"}`, 200)
	}
	tw.apiCall("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly","scheduled_at":"2026-03-03T14:00:00Z","attendees":["cab","pm","rm"]}`, 201)
}

func TestCABBoardAgendaAndDecision(t *testing.T) {
	tw := newTestWeb(t)
	cabScenario(tw)
	b := tw.signIn("cab")
	p := b.get("/cab")
	if p.status != 200 || !strings.Contains(p.body, "CAB-1: weekly") {
		t.Fatalf("board: %d %s", p.status, p.body)
	}
	attendees := between(p.body, "Attendees of CAB-1", "</table>")
	if !strings.Contains(attendees, "<th scope=\"row\">pm</th><td>problem_manager</td>") {
		t.Fatalf("attendees and roles: %q", attendees)
	}
	agenda := between(p.body, "<caption>Agenda of CAB-1", "</table>")
	i1, i2 := strings.Index(agenda, `<th scope="row">CHG-1</th>`), strings.Index(agenda, `<th scope="row">CHG-2</th>`)
	if i1 < 0 || i2 < 0 || i2 > i1 || !strings.Contains(agenda, ">critical<") || !strings.Contains(agenda, ">high<") {
		t.Fatalf("agenda not by risk class (critical CHG-2 first, then high CHG-1): %q", agenda)
	}
	res := b.post("/cab/CAB-1/decide", url.Values{"change": {"CHG-1"}, "revision": {revisionIn(agenda, "CHG-1")},
		"decision": {"approve"}, "comment": {"rollback plan ok"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/cab?") {
		t.Fatalf("decide: %d %s", res.status, res.body)
	}
	l := tw.apiCall("aud", "GET", "/api/v1/approvals?record=CHG-1", "", 200)
	if !strings.Contains(l, `"meeting":"CAB-1"`) || !strings.Contains(l, `"approver":"cab"`) || !strings.Contains(l, "rollback plan ok") {
		t.Fatalf("decision not recorded in the meeting: %s", l)
	}
	if evs, err := tw.store.AuditEventsFor(context.Background(), "approval", "APR-1", 5); err != nil || len(evs) != 1 || evs[0].Action != "approval.approve" {
		t.Fatalf("decision not audited: %+v %v", evs, err)
	}
	p = b.get(res.header.Get("Location"))
	dec := between(p.body, "Decisions recorded in CAB-1", "</table>")
	if !strings.Contains(p.body, "APR-1: approved CHG-1 in CAB-1 as cab_member") || !strings.Contains(dec, "CHG-1") || !strings.Contains(dec, "rollback plan ok") {
		t.Fatalf("board after deciding: %q", dec)
	}
}

// revisionIn returns the revision the agenda's form for change carries.
func revisionIn(agenda, change string) string {
	f := between(agenda, `name="change" value="`+change+`"`, "</form>")
	v := between(f, `name="revision" value="`, `">`)
	return strings.TrimPrefix(v, `name="revision" value="`)
}

func TestCABBoardRefusals(t *testing.T) {
	tw := newTestWeb(t)
	cabScenario(tw)
	rm := tw.signIn("rm")
	agenda := between(rm.get("/cab?meeting=CAB-1").body, "<caption>Agenda of CAB-1", "</table>")
	chg1 := between(agenda, `<th scope="row">CHG-1</th>`, "</tr>")
	if strings.Contains(chg1, "<form") || !strings.Contains(chg1, "separation of duties: rm requested CHG-1") {
		t.Fatalf("the requester's row: %q", chg1)
	}
	if chg2 := between(agenda, `<th scope="row">CHG-2</th>`, "</tr>"); !strings.Contains(chg2, "<form") {
		t.Fatalf("rm may decide about CHG-2 (eng's): %q", chg2)
	}
	res := rm.post("/cab/CAB-1/decide", url.Values{"change": {"CHG-1"}, "revision": {"3"}, "decision": {"approve"}})
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "separation of duties: rm requested CHG-1") {
		t.Fatalf("forced decision by the requester: %d %s", res.status, res.body)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /cab/CAB-1/decide", 10)
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].After), "separation_of_duties") {
		t.Fatalf("refusal not audited: %+v %v", evs, err)
	}
	cab2 := tw.signIn("cab2")
	if a := between(cab2.get("/cab").body, "<caption>Agenda of CAB-1", "</table>"); strings.Contains(a, "<form") || !strings.Contains(a, "cab2 does not attend CAB-1") {
		t.Fatalf("a CAB member not attending: %q", a)
	}
	if res := cab2.post("/cab/CAB-1/decide", url.Values{"change": {"CHG-2"}, "revision": {"3"}, "decision": {"approve"}}); res.status != http.StatusForbidden {
		t.Fatalf("forced decision by a non-attendee: %d", res.status)
	}
	if n := tw.count("approvals"); n != 0 {
		t.Fatalf("refused decisions were recorded (%d)", n)
	}
}

func TestStaleCABFormShowsWhatChanged(t *testing.T) {
	tw := newTestWeb(t)
	cabScenario(tw)
	b := tw.signIn("cab")
	rev := revisionIn(between(b.get("/cab").body, "<caption>Agenda of CAB-1", "</table>"), "CHG-2")
	tw.apiCall("rm", "PATCH", "/api/v1/changes/CHG-2", `{"title":"ledger 2, with the migration","revision":`+rev+`}`, 200)
	res := b.post("/cab/CAB-1/decide", url.Values{"change": {"CHG-2"}, "revision": {rev}, "decision": {"reject"}, "comment": {"no rollback plan"}})
	if res.status != http.StatusPreconditionFailed {
		t.Fatalf("stale decision: %d %s", res.status, res.body)
	}
	changed := between(res.body, `id="changed-h"`, "</section>")
	if !strings.Contains(changed, "change.update by rm") || !strings.Contains(res.body, "ledger 2, with the migration") || !strings.Contains(res.body, "no rollback plan") {
		t.Fatalf("stale board: changed %q", changed)
	}
	if n := tw.count("approvals"); n != 0 {
		t.Fatalf("a stale decision was recorded (%d)", n)
	}
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fixgate/internal/change"
)

const (
	heapItem = "heap profile before/after attached"
	soakItem = "soak test of at least 24h passed"
)

// changeScenario makes REL-1 (a feature release by rm) and CHG-1: REL-1
// into prod-eu, requested by rm, of the built-in change model
// memory-leak-patch, whose checklist is heapItem and soakItem.
func changeScenario(tw *testWeb) {
	tw.t.Helper()
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"feature","title":"stop the leak"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"roll out the leak fix","type":"normal","release":"REL-1","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
}

// checklistOf reads change id's checklist from the store under the policy in force.
func (tw *testWeb) checklistOf(id int64) change.Checklist {
	tw.t.Helper()
	pol, _, err := tw.api.Policy(context.Background())
	if err != nil {
		tw.t.Fatal(err)
	}
	cl, err := tw.store.ChangeChecklist(context.Background(), id, pol)
	if err != nil {
		tw.t.Fatal(err)
	}
	return cl
}

// itemRow returns the checklist table's row of item on a change page.
func itemRow(body, item string) string {
	return between(between(body, "<caption>Checklist of", "</table>"), `<th scope="row">`+item+`</th>`, "</tr>")
}

// TestChangePageTickAndUntick: the change page shows the change, its
// release and its checklist, unticked; a person who works on changes ticks
// an item with a link as evidence and withdraws a tick, each through the
// store as the API does (the change's revision moves on, both records are
// audited), and the page shows who ticked, when and the evidence.
func TestChangePageTickAndUntick(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	pm := tw.signIn("pm")
	p := pm.get("/changes/CHG-1")
	if p.status != 200 || !strings.Contains(p.body, "CHG-1: roll out the leak fix") || !strings.Contains(p.body, `<a href="/releases/REL-1">REL-1</a> 1.4.3`) ||
		!strings.Contains(p.body, "The list is not frozen") || !strings.Contains(p.body, "2 item(s), 2 not ticked") {
		t.Fatalf("change page: %d %s", p.status, p.body)
	}
	heap := itemRow(p.body, heapItem)
	if !strings.Contains(heap, "not ticked") || !strings.Contains(heap, `action="/changes/CHG-1/checklist/check"`) || !strings.Contains(heap, `name="revision" value="1"`) {
		t.Fatalf("heap row before the tick: %q", heap)
	}
	res := pm.post("/changes/CHG-1/checklist/check", url.Values{"item": {heapItem}, "evidence": {"https://wiki.example/heap"}, "revision": {"1"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/changes/CHG-1?done=") {
		t.Fatalf("tick: %d %s", res.status, res.body)
	}
	cl := tw.checklistOf(1)
	if cl.Revision != 2 || !cl.Items[0].Ticked || cl.Items[0].TickedBy != "pm" || cl.Items[0].Evidence != "https://wiki.example/heap" || len(cl.Missing) != 1 {
		t.Fatalf("checklist after the tick: %+v", cl)
	}
	p = pm.get(res.header.Get("Location"))
	heap = itemRow(p.body, heapItem)
	if !strings.Contains(p.body, "Ticked &#34;"+heapItem+"&#34; on CHG-1") || !strings.Contains(heap, "ticked</span> by pm") ||
		!strings.Contains(heap, `<a href="https://wiki.example/heap"`) || !strings.Contains(heap, `action="/changes/CHG-1/checklist/uncheck"`) {
		t.Fatalf("heap row after the tick: %q", heap)
	}
	rm := tw.signIn("rm")
	res = rm.post("/changes/CHG-1/checklist/uncheck", url.Values{"item": {heapItem}, "revision": {"2"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("untick: %d %s", res.status, res.body)
	}
	if cl := tw.checklistOf(1); cl.Revision != 3 || cl.Items[0].Ticked || len(cl.Missing) != 2 {
		t.Fatalf("checklist after the untick: %+v", cl)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "change_checklist", "CHG-1", 10)
	if err != nil || len(evs) != 2 || evs[0].Action != "change.checklist_check" || evs[0].Actor != "pm" ||
		evs[1].Action != "change.checklist_uncheck" || evs[1].Actor != "rm" || evs[1].Role != "release_manager" {
		t.Fatalf("checklist audit: %+v %v", evs, err)
	}
	if evs, _ := tw.store.AuditEventsFor(context.Background(), "change", "CHG-1", 10); len(evs) != 3 || evs[2].Action != "change.checklist_uncheck" {
		t.Fatalf("the change's audit: %+v", evs)
	}
}

// TestChangeChecklistRefusals: an approver of the change's release sees
// why they cannot tick and no tick form, and a forced tick answers 403,
// is audited with its rule and writes nothing; a role that does not work
// on changes sees no form and is refused (audited); an item not on the
// list answers 400 naming it.
func TestChangeChecklistRefusals(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	tw.apiCall("eng", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","comment":"peer review"}`, 201)
	eng := tw.signIn("eng")
	p := eng.get("/changes/CHG-1")
	if p.status != 200 || strings.Contains(p.body, `action="/changes/CHG-1/checklist/check"`) ||
		!strings.Contains(p.body, "You cannot tick items of CHG-1.") || !strings.Contains(p.body, "separation of duties: eng approved REL-1") {
		t.Fatalf("the approver's page: %d %s", p.status, between(p.body, `id="checklist"`, "</table>"))
	}
	res := eng.post("/changes/CHG-1/checklist/check", url.Values{"item": {heapItem}, "revision": {"1"}, "evidence": {"looked at it"}})
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "separation of duties: eng approved REL-1") {
		t.Fatalf("forced tick by an approver: %d %s", res.status, res.body)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /changes/CHG-1/checklist/check", 10)
	if err != nil || len(evs) != 1 || evs[0].Actor != "eng" || !strings.Contains(string(evs[0].After), "separation_of_duties") {
		t.Fatalf("refusal not audited: %+v %v", evs, err)
	}

	cab := tw.signIn("cab")
	if p := cab.get("/changes/CHG-1"); p.status != 200 || strings.Contains(p.body, "<form method=\"post\" action=\"/changes/") ||
		!strings.Contains(p.body, "Ticking an item needs one of the roles release_manager, engineer, problem_manager, admin") {
		t.Fatalf("a CAB member's page: %d %s", p.status, between(p.body, `id="checklist"`, "</table>"))
	}
	if res := cab.post("/changes/CHG-1/checklist/check", url.Values{"item": {heapItem}, "revision": {"1"}}); res.status != http.StatusForbidden {
		t.Fatalf("a tick by a CAB member: %d", res.status)
	}
	if evs, _ := tw.store.AuditEventsFor(context.Background(), "request", "POST /changes/CHG-1/checklist/check", 10); len(evs) != 2 ||
		evs[1].Actor != "cab" || !strings.Contains(string(evs[1].After), `"rule":"role"`) {
		t.Fatalf("role refusal not audited: %+v", evs)
	}

	res = tw.signIn("pm").post("/changes/CHG-1/checklist/check", url.Values{"item": {"heap profile"}, "revision": {"1"}})
	if res.status != http.StatusBadRequest || !strings.Contains(res.body, "item: &#34;heap profile&#34; is not on the checklist of CHG-1") {
		t.Fatalf("an item not on the list: %d %s", res.status, res.body)
	}
	if n := tw.count("change_checklist_ticks"); n != 0 {
		t.Fatalf("refused ticks were recorded (%d)", n)
	}
	if cl := tw.checklistOf(1); cl.Revision != 1 {
		t.Fatalf("a refusal moved the change's revision: %d", cl.Revision)
	}
}

// TestStaleChecklistFormShowsWhatChanged: a tick sent from a page loaded
// before someone else ticked answers 412 with the checklist as it stands,
// what changed since, and the evidence typed kept; nothing is written.
func TestStaleChecklistFormShowsWhatChanged(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	pm := tw.signIn("pm")
	if p := pm.get("/changes/CHG-1"); !strings.Contains(itemRow(p.body, heapItem), `name="revision" value="1"`) {
		t.Fatalf("the form's revision: %q", itemRow(p.body, heapItem))
	}
	tw.apiCall("rm", "POST", "/api/v1/changes/CHG-1/checklist", `{"item":"`+soakItem+`","ticked":true,"evidence":"soak run 42","revision":1}`, 200)
	res := pm.post("/changes/CHG-1/checklist/check", url.Values{"item": {heapItem}, "evidence": {"profiles in the ticket"}, "revision": {"1"}})
	if res.status != http.StatusPreconditionFailed || !strings.Contains(res.body, "CHG-1 changed since the page was loaded (revision 1, now 2)") {
		t.Fatalf("stale tick: %d %s", res.status, res.body)
	}
	changed := between(res.body, `id="changed-h"`, "</section>")
	if !strings.Contains(changed, "change.checklist_check by rm") || !strings.Contains(itemRow(res.body, soakItem), "ticked</span> by rm") ||
		!strings.Contains(itemRow(res.body, heapItem), `value="profiles in the ticket"`) || !strings.Contains(itemRow(res.body, heapItem), `name="revision" value="2"`) {
		t.Fatalf("stale page: changed %q, heap row %q", changed, itemRow(res.body, heapItem))
	}
	if cl := tw.checklistOf(1); cl.Revision != 2 || cl.Items[0].Ticked {
		t.Fatalf("a stale tick was recorded: %+v", cl)
	}
}

// TestChangePageFrozenChecklist: once a (standard) change is scheduled its
// checklist is frozen, and the page says when and by whom.
func TestChangePageFrozenChecklist(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"pool size","type":"standard","env":"prod-eu","change_model":"config-correction",`+
		`"planned_start":"2026-12-10T10:00:00Z","planned_end":"2026-12-10T11:00:00Z"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/changes/CHG-2/transitions", `{"to":"assess"}`, 200)
	tw.apiCall("rm", "POST", "/api/v1/changes/CHG-2/transitions", `{"to":"scheduled"}`, 200)
	p := tw.signIn("pm").get("/changes/CHG-2")
	if p.status != 200 || !strings.Contains(p.body, "The list was <strong>frozen</strong>") || !strings.Contains(p.body, "by rm, when CHG-2 was scheduled") ||
		!strings.Contains(itemRow(p.body, "rollback value recorded"), `action="/changes/CHG-2/checklist/check"`) {
		t.Fatalf("frozen checklist: %d %s", p.status, between(p.body, `id="checklist"`, "</table>"))
	}
}

// TestChangeList: newest first, filtered by status; links each change;
// an unknown status is refused naming the field.
func TestChangeList(t *testing.T) {
	tw := newTestWeb(t)
	changeScenario(tw)
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"pool size","type":"standard","env":"prod-eu"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/changes/CHG-2/transitions", `{"to":"assess"}`, 200)
	b := tw.signIn("aud")
	p := b.get("/changes")
	i1, i2 := strings.Index(p.body, `<a href="/changes/CHG-1">`), strings.Index(p.body, `<a href="/changes/CHG-2">`)
	if p.status != 200 || i1 < 0 || i2 < 0 || i2 > i1 {
		t.Fatalf("list, newest first: %d %s", p.status, p.body)
	}
	if p := b.get("/changes?status=assess"); !strings.Contains(p.body, `<a href="/changes/CHG-2">`) || strings.Contains(p.body, `<a href="/changes/CHG-1">`) {
		t.Fatalf("status filter: %s", between(p.body, "<table>", "</table>"))
	}
	if p := b.get("/changes?status=bogus"); p.status != http.StatusBadRequest || !strings.Contains(p.body, "status: unknown change state") {
		t.Fatalf("unknown status: %d %s", p.status, p.body)
	}
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/release"
)

// releaseScenario builds REL-1, a problem fix created by rm resolving PRB-1
// (on checkout-api, RCA recorded by eng and not validated) and shipping
// checkout-api@1.4.3, a candidate never approved: the gate blocks it in
// prod-eu on rca_validated, component_approval and approvals.
func releaseScenario(tw *testWeb) {
	tw.t.Helper()
	tw.apiCall("eng", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"checkout leaks memory","priority":3,"cis":["checkout-api"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	tw.apiCall("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"cache never evicts carts"}`, 200)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","title":"stop the leak","resolves":["PRB-1"],"components":["checkout-api@1.4.3"]}`, 201)
}

// between returns the part of s from the first from to the next to after it ("" when from is missing).
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// ruleRow returns the verdict table row of rule in environment env's section of a release page.
func ruleRow(body, env, rule string) string {
	return between(between(body, `id="gate-`+env+`"`, "</details>"), `<th scope="row">`+rule+`</th>`, "</tr>")
}

// count returns the rows of a table (audit_events, gate_evaluations, approvals).
func (tw *testWeb) count(table string) int {
	tw.t.Helper()
	var n int
	if err := tw.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		tw.t.Fatal(err)
	}
	return n
}

func TestReleasePageShowsBlockedGateRuleByRule(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	p := tw.signIn("pm").get("/releases/REL-1")
	if p.status != 200 {
		t.Fatalf("release page: %d %s", p.status, p.body)
	}
	summary := between(p.body, `<a href="#gate-prod-eu">prod-eu</a>`, "</tr>")
	if !strings.Contains(summary, "blocked") || !strings.Contains(summary, "rca_validated") || !strings.Contains(summary, "component_approval") {
		t.Fatalf("summary row for prod-eu: %q", summary)
	}
	rca := ruleRow(p.body, "prod-eu", "rca_validated")
	if !strings.Contains(rca, `class="badge bad">fail`) || !strings.Contains(rca, "PRB-1") || !strings.Contains(rca, `href="/problems/PRB-1"`) {
		t.Fatalf("rca_validated row: %q", rca)
	}
	comp := ruleRow(p.body, "prod-eu", "component_approval")
	if !strings.Contains(comp, "fail") || !strings.Contains(comp, "checkout-api@1.4.3") {
		t.Fatalf("component_approval row: %q", comp)
	}
	for _, want := range []string{"stop the leak", "<caption>Resolved problems</caption>", "checkout-api@1.4.3", "No deployment yet", "No decision yet"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	list := tw.signIn("aud").get("/releases?status=planned")
	if list.status != 200 || !strings.Contains(list.body, `href="/releases/REL-1"`) {
		t.Fatalf("release list: %d %s", list.status, list.body)
	}
	if l := tw.signIn("aud").get("/releases?status=verified"); strings.Contains(l.body, `href="/releases/REL-1"`) {
		t.Fatalf("the status filter let REL-1 through")
	}
}

func TestReleasePageWritesNothing(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	b := tw.signIn("aud")
	events, evals := tw.count("audit_events"), tw.count("gate_evaluations")
	for _, path := range []string{"/releases/REL-1", "/releases", "/policy/dry-run?release=REL-1&env=prod-eu&at=2025-01-07T10:00"} {
		if p := b.get(path); p.status != 200 {
			t.Fatalf("%s: %d %s", path, p.status, p.body)
		}
	}
	if e, g := tw.count("audit_events"), tw.count("gate_evaluations"); e != events || g != evals {
		t.Fatalf("reading wrote: audit events %d → %d, gate evaluations %d → %d", events, e, evals, g)
	}
}

func TestCABMemberApprovesFromReleasePage(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	b := tw.signIn("cab")
	p := b.get("/releases/REL-1")
	if !strings.Contains(ruleRow(p.body, "prod-eu", "approvals"), "fail") {
		t.Fatalf("approvals rule before any approval: %q", ruleRow(p.body, "prod-eu", "approvals"))
	}
	if !strings.Contains(p.body, `action="/releases/REL-1/approve"`) || !strings.Contains(p.body, `name="revision" value="1"`) {
		t.Fatalf("no decision form for cab: %s", between(p.body, `id="approvals"`, `id="notes"`))
	}
	res := b.post("/releases/REL-1/approve", url.Values{"revision": {"1"}, "comment": {"heap profiles look right"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/releases/REL-1?done=") {
		t.Fatalf("approve: %d %s %s", res.status, res.header.Get("Location"), res.body)
	}
	list := tw.apiCall("aud", "GET", "/api/v1/approvals?record=REL-1", "", 200)
	if !strings.Contains(list, `"approver":"cab"`) || !strings.Contains(list, `"role":"cab_member"`) || !strings.Contains(list, "heap profiles look right") {
		t.Fatalf("approval not recorded: %s", list)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "approval", "APR-1", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "approval.approve" || evs[0].Actor != "cab" || evs[0].Role != "cab_member" {
		t.Fatalf("approval not audited: %+v %v", evs, err)
	}
	p = b.get(res.header.Get("Location"))
	row := between(p.body, `<th scope="row">APR-1</th>`, "</tr>")
	if !strings.Contains(p.body, "APR-1: approved REL-1 as cab_member") || !strings.Contains(row, "cab_member") || !strings.Contains(row, "counts") {
		t.Fatalf("release page after approving: row %q", row)
	}
	if r := ruleRow(p.body, "prod-eu", "approvals"); !strings.Contains(r, "pass") {
		t.Fatalf("the gate's approvals rule does not count the approval: %q", r)
	}
}

func TestReleaseCreatorSeesSeparationOfDutiesAndIsRefused(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	b := tw.signIn("rm")
	p := b.get("/releases/REL-1")
	why := "separation of duties: rm created REL-1"
	if strings.Contains(p.body, `action="/releases/REL-1/approve"`) || !strings.Contains(p.body, why) {
		t.Fatalf("the creator is offered the form or no explanation: %s", between(p.body, `id="approvals"`, `id="notes"`))
	}
	if e := tw.signIn("eng").get("/releases/REL-1"); !strings.Contains(e.body, "separation of duties: eng recorded the root cause analysis of PRB-1") {
		t.Fatalf("the RCA author gets no explanation: %s", between(e.body, `id="approvals"`, `id="notes"`))
	}
	if a := tw.signIn("aud").get("/releases/REL-1"); !strings.Contains(a.body, "approving needs one of the roles") {
		t.Fatalf("an auditor gets no explanation: %s", between(a.body, `id="approvals"`, `id="notes"`))
	}
	res := b.post("/releases/REL-1/approve", url.Values{"revision": {"1"}})
	if res.status != http.StatusForbidden || !strings.Contains(res.body, why) {
		t.Fatalf("forced approval by the creator: %d %s", res.status, res.body)
	}
	if n := tw.count("approvals"); n != 0 {
		t.Fatalf("a refused approval was recorded (%d)", n)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /releases/REL-1/approve", 10)
	if err != nil || len(evs) != 1 || evs[0].Actor != "rm" || !strings.Contains(string(evs[0].After), "separation_of_duties") {
		t.Fatalf("refusal not audited: %+v %v", evs, err)
	}
}

func TestStaleReleaseFormShowsWhatChanged(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	b := tw.signIn("cab2")
	if p := b.get("/releases/REL-1"); !strings.Contains(p.body, `name="revision" value="1"`) {
		t.Fatal("form not at revision 1")
	}
	tw.apiCall("rm", "PATCH", "/api/v1/releases/REL-1", `{"title":"stop the leak, and log it","revision":1}`, 200)
	res := b.post("/releases/REL-1/reject", url.Values{"revision": {"1"}, "comment": {"no soak test"}})
	if res.status != http.StatusPreconditionFailed {
		t.Fatalf("stale form: %d %s", res.status, res.body)
	}
	changed := between(res.body, `id="changed-h"`, "</section>")
	for _, want := range []string{"revision 2", "release.update by rm"} {
		if !strings.Contains(changed, want) {
			t.Errorf("what changed lacks %q: %q", want, changed)
		}
	}
	if !strings.Contains(res.body, "stop the leak, and log it") || !strings.Contains(res.body, `name="revision" value="2"`) ||
		!strings.Contains(res.body, "no soak test") {
		t.Fatalf("the page is not re-rendered as it stands now with the comment kept: %s", res.body)
	}
	if n := tw.count("approvals"); n != 0 {
		t.Fatalf("a stale decision was recorded (%d)", n)
	}
	if res := b.post("/releases/REL-1/reject", url.Values{"revision": {"2"}}); res.status != http.StatusBadRequest || !strings.Contains(res.body, "required to reject") {
		t.Fatalf("a rejection without comment: %d %s", res.status, res.body)
	}
}

func TestReleaseListPaginatesNewestFirst(t *testing.T) {
	tw := newTestWeb(t)
	rs := make([]release.Release, releasesPageSize+1)
	for i := range rs {
		rs[i] = release.Release{Version: "1.0." + strconv.Itoa(i), Type: release.Feature}
	}
	if _, err := tw.store.CreateReleases(context.Background(), audit.System("test"), rs); err != nil {
		t.Fatal(err)
	}
	b := tw.signIn("aud")
	p := b.get("/releases?type=feature")
	last := "REL-" + strconv.Itoa(releasesPageSize+1)
	if !strings.Contains(p.body, `href="/releases/`+last+`"`) || strings.Contains(p.body, `href="/releases/REL-1"`) {
		t.Fatalf("first page is not the newest %d", releasesPageSize)
	}
	next := between(p.body, `rel="next"`, ">")
	if !strings.Contains(p.body, `href="/releases?before=REL-2&amp;type=feature" rel="next"`) {
		t.Fatalf("no next page link keeping the filter: %q", next)
	}
	p = b.get("/releases?before=REL-2&type=feature")
	if !strings.Contains(p.body, `href="/releases/REL-1"`) || strings.Contains(p.body, `href="/releases/REL-2"`) || strings.Contains(p.body, `rel="next"`) {
		t.Fatalf("second page: %s", between(p.body, "<table>", "</table>"))
	}
}

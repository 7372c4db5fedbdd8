package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestCyclePages: a problem manager creates a cycle (audited), bad input
// is shown naming its field with the form kept; the cycle page lists the
// targeted problems with their state and releases; targeting and
// stopping are audited compare-and-sets (a stale form answers 412 with
// what changed); a CAB member reads but gets no form and a 403 (audited).
func TestCyclePages(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Slow search","priority":4}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"problem-fix","resolves":["PRB-1"]}`, 201)
	pm := tw.user("pm")
	form := url.Values{"name": {"train-2026-12"}, "starts_at": {"2026-12-01"}, "ends_at": {"2027-01-01"}, "envs": {"prod-eu"}}
	for field, bad := range map[string]url.Values{
		"name":    {"name": {"Train Dec"}, "starts_at": {"2026-12-01"}, "ends_at": {"2027-01-01"}, "envs": {"prod-eu"}},
		"ends_at": {"name": {"t"}, "starts_at": {"2026-12-01"}, "ends_at": {"2026-11-01"}, "envs": {"prod-eu"}},
		"envs":    {"name": {"t"}, "starts_at": {"2026-12-01"}, "ends_at": {"2027-01-01"}, "envs": {"nowhere"}},
	} {
		p := pm.post("/cycles", bad)
		wantAll(t, "bad "+field, p, http.StatusBadRequest, `role="alert"`, field+":", `value="`+bad.Get("name")+`"`)
	}
	if tw.count("cycles") != 0 {
		t.Fatal("a refused cycle was written")
	}
	res := pm.post("/cycles", form)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/cycles/CYC-1?") || tw.lastEvent("cycle", "CYC-1") != "cycle.create by pm" {
		t.Fatalf("create: %d %s %q", res.status, res.header.Get("Location"), tw.lastEvent("cycle", "CYC-1"))
	}
	wantAll(t, "list", pm.get("/cycles"), 200, `href="/cycles/CYC-1"`, "train-2026-12", "prod-eu", `action="/cycles"`)

	target := pm.post("/cycles/CYC-1/problems", url.Values{"problem": {"PRB-1"}, "revision": {"1"}})
	if target.status != http.StatusSeeOther || tw.lastEvent("cycle", "CYC-1") != "cycle.add by pm" {
		t.Fatalf("target: %d %s", target.status, target.body)
	}
	page := pm.get("/cycles/CYC-1")
	wantAll(t, "cycle", page, 200, `href="/problems/PRB-1"`, "Checkout 500s", "new", `href="/releases/REL-1"`, "1.0.0 (planned)",
		`action="/cycles/CYC-1/problems/PRB-1/remove"`, `name="revision" value="2"`, `href="/release-plan?resolves=PRB-1"`)

	stale := pm.post("/cycles/CYC-1/problems", url.Values{"problem": {"PRB-2"}, "revision": {"1"}})
	wantAll(t, "stale target", stale, http.StatusPreconditionFailed, "changed since the page was loaded", "cycle.add by pm", `value="PRB-2"`)
	wantAll(t, "unknown problem", pm.post("/cycles/CYC-1/problems", url.Values{"problem": {"PRB-9"}, "revision": {"2"}}),
		http.StatusBadRequest, "problem:")
	if strings.Contains(pm.get("/cycles/CYC-1").body, "PRB-2") {
		t.Fatal("the stale form targeted PRB-2")
	}
	remove := pm.post("/cycles/CYC-1/problems/PRB-1/remove", url.Values{"revision": {"2"}})
	if remove.status != http.StatusSeeOther || tw.lastEvent("cycle", "CYC-1") != "cycle.remove by pm" {
		t.Fatalf("remove: %d %s", remove.status, remove.body)
	}

	cab := tw.user("cab")
	read := cab.get("/cycles/CYC-1")
	wantAll(t, "cycle as a CAB member", read, 200, "targets no problem yet")
	wantNone(t, "cycle as a CAB member", read, `action="/cycles/CYC-1/problems"`)
	wantNone(t, "list as a CAB member", cab.get("/cycles"), `action="/cycles"`)
	d0 := tw.denials("cab")
	if p := cab.post("/cycles/CYC-1/problems", url.Values{"problem": {"PRB-1"}, "revision": {"3"}}); p.status != http.StatusForbidden || tw.denials("cab") != d0+1 {
		t.Fatalf("a CAB member targets a problem: %d", p.status)
	}
}

// TestCyclePlanPage: the plan ranks the recurring problems, flags the one
// that only has a workaround and keeps recurring, shows the risk of
// bundling it into an open release, and targets a proposal into the
// chosen cycle from the plan (audited), back to the plan.
func TestCyclePlanPage(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("eng", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"],"workaround":"restart the pods"}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Slow search","priority":4,"cis":["checkout-api"]}`, 201)
	for i, prb := range []string{"PRB-1", "PRB-1", "PRB-1", "PRB-2"} {
		tw.apiCall("eng", "POST", "/api/v1/incidents", `{"title":"incident `+string(rune('a'+i))+`","ci":"checkout-api","env":"prod-eu","severity":2,"problem":"`+prb+`"}`, 201)
	}
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"feature","components":["checkout-api@1.4.3"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/cycles", `{"name":"train-2026-12","starts_at":"2026-03-01T00:00:00Z","ends_at":"2026-12-31T00:00:00Z","envs":["prod-eu"]}`, 201)
	pm := tw.user("pm")
	p := pm.get("/cycles/plan?cycle=CYC-1")
	wantAll(t, "plan", p, 200, `href="/problems/PRB-1"`, "systemic fix over workaround", `href="/releases/REL-1"`,
		`action="/cycles/CYC-1/problems"`, "Target PRB-1 in CYC-1")
	if strings.Index(p.body, `href="/problems/PRB-1"`) > strings.Index(p.body, `href="/problems/PRB-2"`) {
		t.Error("PRB-1 (3 incidents, P2) does not rank above PRB-2")
	}
	bundle := between(p.body, `<a href="/releases/REL-1">`, "</tr>")
	if !strings.Contains(bundle, "PRB-1") || !strings.Contains(bundle, "PRB-2") {
		t.Errorf("bundle row: %q", bundle)
	}
	wantAll(t, "bad window", pm.get("/cycles/plan?since=3y"), http.StatusBadRequest, "since:")
	res := pm.post("/cycles/CYC-1/problems", url.Values{"problem": {"PRB-1"}, "revision": {"1"}, "back": {"plan"}, "since": {"90d"}})
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/cycles/plan?") || !strings.Contains(loc, "cycle=CYC-1") {
		t.Fatalf("target from the plan: %d %s", res.status, loc)
	}
	if tw.lastEvent("cycle", "CYC-1") != "cycle.add by pm" {
		t.Fatalf("not audited: %q", tw.lastEvent("cycle", "CYC-1"))
	}
	after := pm.get(res.header.Get("Location"))
	wantAll(t, "plan after targeting", after, 200, "CYC-1 targets PRB-1.", "Target PRB-2 in CYC-1")
	wantNone(t, "plan after targeting", after, "Target PRB-1 in CYC-1")
	wantNone(t, "plan as a CAB member", tw.user("cab").get("/cycles/plan?cycle=CYC-1"), "Target PRB-1")
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// lastEvent returns the newest audit event of a record ("" when none) as "action by actor".
func (tw *testWeb) lastEvent(recordType, id string) string {
	tw.t.Helper()
	evs, err := tw.store.AuditEventsFor(context.Background(), recordType, id, 100)
	if err != nil {
		tw.t.Fatal(err)
	}
	if len(evs) == 0 {
		return ""
	}
	e := evs[len(evs)-1]
	return e.Action + " by " + e.Actor
}

// denials counts the access.denied events of user.
func (tw *testWeb) denials(user string) int {
	tw.t.Helper()
	var n int
	err := tw.store.DB().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_events WHERE action = 'access.denied' AND actor = $1`, user).Scan(&n)
	if err != nil {
		tw.t.Fatal(err)
	}
	return n
}

// planScenario: checkout-api@1.4.2 shipped by REL-1; storefront@5.0.0
// embeds checkout-api; PRB-1 affects checkout-api.
func planScenario(tw *testWeb) {
	tw.t.Helper()
	tw.apiCall("admin", "POST", "/api/v1/cis", `{"name":"storefront","kind":"service","criticality":"medium"}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.2"}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/components", `{"ci":"storefront","version":"5.0.0","dependencies":[{"ci":"checkout-api","constraint":"^1.4","kind":"embeds"}]}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"feature","components":["checkout-api@1.4.2"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Totals off by one cent","priority":2,"cis":["checkout-api"]}`, 201)
}

// TestReleasePlanPage: the plan lists what to rebuild in dependency order
// with each reason; bad input is shown naming resolves; a release manager
// creates the problem-fix release at the proposed next version (audited),
// a version that is not a bump is refused naming version, and a role that
// may not create releases gets no form and a 403 (audited).
func TestReleasePlanPage(t *testing.T) {
	tw := newTestWeb(t)
	planScenario(tw)
	pm := tw.user("pm")
	p := pm.get("/release-plan?resolves=PRB-1")
	wantAll(t, "plan", p, 200, `<th scope="row">checkout-api</th>`, "1.4.2", "1.4.3", "affected by PRB-1",
		`<th scope="row">storefront</th>`, "5.0.1", "embeds checkout-api")
	if strings.Index(p.body, `<th scope="row">checkout-api</th>`) > strings.Index(p.body, `<th scope="row">storefront</th>`) {
		t.Error("the dependency is not listed before its dependant")
	}
	wantNone(t, "plan as a problem manager", p, `action="/release-plan/release"`)
	wantAll(t, "unknown problem", pm.get("/release-plan?resolves=PRB-9"), http.StatusBadRequest, `role="alert"`, "resolves:")
	wantAll(t, "malformed problem", pm.get("/release-plan?resolves=nine"), http.StatusBadRequest, `role="alert"`, "resolves:")

	rm := tw.user("rm")
	wantAll(t, "plan as a release manager", rm.get("/release-plan?resolves=PRB-1"), 200, `action="/release-plan/release"`)
	bad := rm.post("/release-plan/release", url.Values{"resolves": {"PRB-1"}, "version": {"1.4.1"}})
	wantAll(t, "not a bump", bad, http.StatusBadRequest, "version:", `value="1.4.1"`, "affected by PRB-1")
	n := tw.count("releases")
	res := rm.post("/release-plan/release", url.Values{"resolves": {"PRB-1"}, "title": {"Round totals"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/releases/REL-2?") {
		t.Fatalf("create: %d %s %s", res.status, res.header.Get("Location"), res.body)
	}
	if tw.count("releases") != n+1 || tw.lastEvent("release", "REL-2") != "release.create by rm" {
		t.Fatalf("the release is not created and audited: %q", tw.lastEvent("release", "REL-2"))
	}
	done := rm.get(res.header.Get("Location"))
	wantAll(t, "the new release", done, 200, "REL-2 1.4.3", "Round totals", "next patch over REL-1 1.4.2", `href="/problems/PRB-1"`)

	d0 := tw.denials("pm")
	refused := pm.post("/release-plan/release", url.Values{"resolves": {"PRB-1"}})
	if refused.status != http.StatusForbidden || tw.denials("pm") != d0+1 || tw.count("releases") != n+1 {
		t.Fatalf("a problem manager creates a release: %d, denials %d", refused.status, tw.denials("pm")-d0)
	}
}

package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
)

// problemWithHistory builds through the API a priority-1 problem PRB-1
// with two linked incidents (INC-1, INC-2), in state rca with an RCA
// written by eng, and a problem-fix release REL-1 resolving it.
func problemWithHistory(tw *testWeb) {
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"checkout 500s","ci":"checkout-api","env":"prod-eu","severity":2,
		"labels":{"alertname":"HighErrorRate"}}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"checkout timeouts","ci":"checkout-api","env":"prod-eu","severity":3}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout fails under load","priority":1,"cis":["checkout-api"],
		"incidents":["INC-1","INC-2"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess","revision":1}`, 200)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca","revision":2}`, 200)
	tw.apiCall("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"nil map in the cart cache","revision":3}`, 200)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"problem-fix","resolves":["PRB-1"]}`, 201)
}

// user returns a browser signed in as name with its own cookie jar
// (tw.signIn's browsers share httptest's one client, hence one jar: the
// last sign-in wins for all of them).
func (tw *testWeb) user(name string) *browser {
	tw.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := *tw.http.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	b := &browser{tw: tw, c: &c}
	if res := b.post("/login", url.Values{"username": {name}, "password": {testPassword}}); res.status != http.StatusSeeOther {
		tw.t.Fatalf("sign in as %s: %d: %s", name, res.status, res.body)
	}
	return b
}

// wantAll fails the test unless body contains every one of wants.
func wantAll(t *testing.T, what string, p page_, status int, wants ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, p.status, status, p.body)
	}
	for _, w := range wants {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s: the page lacks %q", what, w)
		}
	}
}

func wantNone(t *testing.T, what string, p page_, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(p.body, w) {
			t.Errorf("%s: the page shows %q", what, w)
		}
	}
}

func TestProblemPageShowsTimelineRCAReleaseAndClosureGaps(t *testing.T) {
	tw := newTestWeb(t)
	problemWithHistory(tw)
	p := tw.user("pm").get("/problems/PRB-1")
	wantAll(t, "problem page", p, 200, "<h1>PRB-1 Checkout fails under load</h1>", "INC-1", "INC-2", "checkout timeouts",
		"nil map in the cart cache", "code_defect", "not validated", `href="/releases/REL-1"`, "Release 1.0.1 (problem-fix) planned to fix it",
		"2 incident(s) linked", "not ready", "only a resolved problem", "<strong>pir</strong>", "<strong>confirmation</strong>",
		`action="/problems/PRB-1/move"`, `action="/problems/PRB-1/rca/validate"`, `<option value="fix_in_progress">`)
	wantNone(t, "problem page before resolution", p, `action="/problems/PRB-1/close"`)

	list := tw.user("aud").get("/problems?status=rca&priority=1")
	wantAll(t, "problem list", list, 200, `href="/problems/PRB-1"`, "Checkout fails under load")
	wantNone(t, "problem list filtered out", tw.user("aud").get("/problems?status=closed"), `href="/problems/PRB-1"`)
	if p := tw.user("aud").get("/problems?status=bogus"); p.status != http.StatusBadRequest {
		t.Errorf("unknown status filter: %d", p.status)
	}
}

func TestAuditorSeesNoProblemForms(t *testing.T) {
	tw := newTestWeb(t)
	problemWithHistory(tw)
	p := tw.user("aud").get("/problems/PRB-1")
	wantAll(t, "problem page as auditor", p, 200, "nil map in the cart cache")
	wantNone(t, "problem page as auditor", p, `method="post"`+" action=\"/problems/", `action="/problems/PRB-1/move"`,
		`action="/problems/PRB-1/rca"`, `action="/problems/PRB-1/rca/validate"`, `action="/problems/PRB-1/signatures"`)
}

func TestMoveProblemIsAuditedAndAStaleFormShowsWhatChanged(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Slow search","priority":3}`, 201)
	pm := tw.user("pm")
	res := pm.post("/problems/PRB-1/move", url.Values{"to": {"assess"}, "revision": {"1"}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/problems/PRB-1?done=") {
		t.Fatalf("move: %d %s %s", res.status, res.header.Get("Location"), res.body)
	}
	wantAll(t, "after the move", pm.get(res.header.Get("Location")), 200, "PRB-1 moved to assess.", `<span class="badge">assess</span>`)
	evs, err := tw.store.AuditEventsFor(context.Background(), "problem", "PRB-1", 10)
	if err != nil || len(evs) != 2 || evs[1].Action != "problem.move" || evs[1].Actor != "pm" || evs[1].RecordVersion != 2 {
		t.Fatalf("move not audited: %+v %v", evs, err)
	}

	eng := tw.user("eng")
	stale := eng.post("/problems/PRB-1/move", url.Values{"to": {"canceled"}, "revision": {"1"}})
	wantAll(t, "stale move", stale, http.StatusPreconditionFailed, "changed since this form was loaded at revision 1",
		"it is at revision 2 now", "Changed since your form was loaded", "<strong>problem.move</strong> by pm", `<span class="badge">assess</span>`,
		`name="revision" value="2"`)
	if p, _ := tw.store.GetProblem(context.Background(), 1); p.Status != "assess" {
		t.Fatalf("a stale form changed the problem: %s", p.Status)
	}

	bad := pm.post("/problems/PRB-1/move", url.Values{"to": {"fix_in_progress"}, "revision": {"2"}})
	wantAll(t, "illegal move", bad, http.StatusConflict, "<h1>PRB-1 Slow search</h1>", `role="alert"`)
}

func TestWrongRoleIsRefusedAndAudited(t *testing.T) {
	tw := newTestWeb(t)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Slow search","priority":3}`, 201)
	res := tw.user("aud").post("/problems/PRB-1/move", url.Values{"to": {"assess"}, "revision": {"1"}})
	if res.status != http.StatusForbidden {
		t.Fatalf("auditor move: %d", res.status)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /problems/PRB-1/move", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "access.denied" || evs[0].Actor != "aud" {
		t.Fatalf("refusal not audited: %+v %v", evs, err)
	}
	if p, _ := tw.store.GetProblem(context.Background(), 1); p.Status != "new" || p.Revision != 1 {
		t.Fatalf("a refused move changed the problem: %+v", p)
	}
}

func TestValidateRCAAndTheAuthorIsRefused(t *testing.T) {
	tw := newTestWeb(t)
	problemWithHistory(tw) // RCA by eng, problem at revision 4
	pm := tw.user("pm")
	res := pm.post("/problems/PRB-1/rca/validate", url.Values{"revision": {"4"}, "comment": {"matches the heap dumps"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("validate: %d %s", res.status, res.body)
	}
	wantAll(t, "after validation", pm.get("/problems/PRB-1"), 200, "validated</span> by pm", "matches the heap dumps")

	// pm writes a new RCA (the validation is withdrawn), then may not validate it.
	res = pm.post("/problems/PRB-1/rca", url.Values{"revision": {"5"}, "category": {"configuration_error"}, "summary": {"pool too small"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("record RCA: %d %s", res.status, res.body)
	}
	refused := pm.post("/problems/PRB-1/rca/validate", url.Values{"revision": {"6"}})
	wantAll(t, "author validates", refused, http.StatusForbidden, "<h1>PRB-1 Checkout fails under load</h1>",
		"pm wrote this root cause analysis and cannot validate it (separation of duties)", "pool too small")
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /problems/PRB-1/rca/validate", 10)
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].After), "separation_of_duties") {
		t.Fatalf("separation of duties refusal not audited: %+v %v", evs, err)
	}
	if p, _ := tw.store.GetProblem(context.Background(), 1); p.RCA.Validated() {
		t.Fatal("the author's validation was saved")
	}
}

func TestCloseIsRefusedWithWhatIsMissing(t *testing.T) {
	tw := newTestWeb(t)
	problemWithHistory(tw)
	res := tw.user("pm").post("/problems/PRB-1/close", url.Values{"revision": {"4"}})
	wantAll(t, "close too early", res, http.StatusPreconditionFailed, "PRB-1 cannot close", "no post-implementation review",
		"no validator outside the release team")
	if p, _ := tw.store.GetProblem(context.Background(), 1); p.Status != "rca" {
		t.Fatalf("status %s", p.Status)
	}
}

// TestConfirmAndCloseAResolvedProblem: a validator confirms the fix on
// the page, and once the observation period is over and a review is
// completed the problem manager closes it there; both are audited.
func TestConfirmAndCloseAResolvedProblem(t *testing.T) {
	tw := newTestWeb(t)
	if _, _, err := tw.store.CreateUser(context.Background(), audit.System("test"), auth.User{Name: "pm2", Roles: []auth.Role{auth.ProblemManager}}); err != nil {
		t.Fatal(err)
	}
	resolvedProblem(tw, "1", "Checkout fails under load")
	val := tw.user("val")
	wantAll(t, "resolved, as validator", val.get("/problems/PRB-1"), 200, `action="/problems/PRB-1/confirm"`, "observation period runs until")
	if res := val.post("/problems/PRB-1/confirm", url.Values{"comment": {"no 500s for a week"}}); res.status != http.StatusSeeOther {
		t.Fatalf("confirm: %d %s", res.status, res.body)
	}
	tw.apiCall("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","root_cause_eliminated":true,"findings":"the pool was too small"}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/pirs/PIR-1/transitions", `{"to":"completed"}`, 200)
	tw.clock.Advance(15 * 24 * time.Hour)
	pm := tw.user("pm")
	page := pm.get("/problems/PRB-1")
	wantAll(t, "ready to close", page, 200, "Every closure condition holds", `action="/problems/PRB-1/close"`, "Fix confirmed by val: no 500s for a week",
		"Post-implementation review completed by pm")
	p, _ := tw.store.GetProblem(context.Background(), 1)
	res := pm.post("/problems/PRB-1/close", url.Values{"revision": {strconv.FormatInt(p.Revision, 10)}, "comment": {"done"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("close: %d %s", res.status, res.body)
	}
	wantAll(t, "closed", pm.get(res.header.Get("Location")), 200, "PRB-1 closed.", `<span class="badge">closed</span>`, "Problem closed")
	evs, err := tw.store.AuditEventsFor(context.Background(), "problem", "PRB-1", 50)
	var acts []string
	for _, e := range evs {
		acts = append(acts, e.Action+"/"+e.Actor)
	}
	if err != nil || !slices.Contains(acts, "problem.confirm/val") || acts[len(acts)-1] != "problem.close/pm" {
		t.Fatalf("audit: %v %v", acts, err)
	}
}

// TestProblemIncidentsPaginate: a problem's incidents are listed newest
// first, 20 a page, with a link to the older ones.
func TestProblemIncidentsPaginate(t *testing.T) {
	tw := newTestWeb(t)
	var ids []string
	for i := 1; i <= 23; i++ {
		tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"blip","ci":"checkout-api","env":"prod-eu","severity":4}`, 201)
		ids = append(ids, `"INC-`+strconv.Itoa(i)+`"`)
	}
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Blips","priority":4,"incidents":[`+strings.Join(ids, ",")+`]}`, 201)
	b := tw.user("aud")
	first := b.get("/problems/PRB-1")
	wantAll(t, "first page", first, 200, "23 incident(s) linked", "INC-23 blip", "INC-4 blip", `href="/problems/PRB-1?incidents_before=INC-4#incidents"`)
	wantNone(t, "first page", first, "INC-3 blip")
	second := b.get("/problems/PRB-1?incidents_before=INC-4")
	wantAll(t, "second page", second, 200, "INC-3 blip", "INC-1 blip")
	wantNone(t, "second page", second, "INC-4 blip", "Older incidents")
}

package api

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// depFixRelease records PRB-1 (RCA by dual) and REL-1 created by rm resolving it.
func depFixRelease(ta *testAPI) {
	ta.t.Helper()
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	ta.must("dual", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"nil map on empty cart"}`, 200)
	_, err := ta.store.CreateRelease(context.Background(), audit.Actor{User: "rm", Role: "release_manager"},
		release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
	if err != nil {
		ta.t.Fatal(err)
	}
}

func depItems(m map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range m["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestAPIDeployments(t *testing.T) {
	ta := newTestAPI(t)
	depFixRelease(ta)
	body := `{"release":"REL-1","env":"prod-eu","path":[{"name":"canary","weight":10},{"name":"full","weight":100}]}`
	ta.problem(ta.do("eng", "POST", "/api/v1/deployments", body), 403, "")
	ta.problem(ta.do("aud", "POST", "/api/v1/deployments", body), 403, "")
	before := ta.auditCount()
	for _, c := range []struct{ body, field string }{
		{`{"release":"REL-9","env":"prod-eu"}`, "release"},
		{`{"env":"prod-eu"}`, "release"},
		{`{"release":"REL-1","env":"moon"}`, "env"},
		{`{"release":"REL-1","env":"prod-eu","change":"CHG-4"}`, "change"},
		{`{"release":"REL-1","env":"prod-eu","path":[{"name":"canary","weight":10}]}`, "path"},
		{`{"release":"REL-1","env":"prod-eu","status":"succeeded"}`, "status"},
	} {
		ta.problem(ta.do("bot", "POST", "/api/v1/deployments", c.body), 400, c.field)
	}
	if ta.auditCount() != before {
		t.Fatal("refused creates wrote audit events")
	}
	r := ta.do("bot", "POST", "/api/v1/deployments", body)
	d := r.json(t)
	if r.status != 201 || r.header.Get("ETag") != `"1"` || d["id"] != "DEP-1" || d["status"] != "pending" || d["created_by"] != "bot" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	ta.problem(ta.do("rm", "POST", "/api/v1/deployments", body), 409, "")
	if got := ta.must("aud", "GET", "/api/v1/deployments/DEP-1", "", 200); got["env"] != "prod-eu" || got["current_stage"] != 0.0 {
		t.Fatalf("get %v", got)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/deployments/DEP-9", ""), 404, "")
	ta.problem(ta.do("aud", "GET", "/api/v1/deployments/REL-1", ""), 400, "id")

	// an illegal move answers 409 with the allowed moves; a move into a
	// state the rollout engine owns is refused naming the command to use;
	// neither writes anything
	before = ta.auditCount()
	p := ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"failed"}`), 409, "")
	if extra := p["extra"].(map[string]any); extra["current_status"] != "pending" || len(extra["allowed_moves"].([]any)) != 3 {
		t.Fatalf("409 extra %v", p)
	}
	for to, cmd := range map[string]string{"running": "deploy start", "succeeded": "rollout engine", "paused": "rollout engine",
		"rolling_back": "deploy rollback", "rolled_back": "deploy rollback"} {
		p := ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"`+to+`"}`, `If-Match: "1"`), 409, "to")
		if d := p["detail"].(string); !strings.Contains(d, "not moved to "+to+" by hand") || !strings.Contains(d, cmd) {
			t.Errorf("hand move to %s: %s", to, d)
		}
	}
	p = ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/advance", `{}`), 409, "")
	if !strings.Contains(p["detail"].(string), "deploy promote") {
		t.Fatalf("advance: %v", p)
	}
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"blocked"}`, `If-Match: "3"`), 412, "")
	if ta.auditCount() != before || ta.must("aud", "GET", "/api/v1/deployments/DEP-1", "", 200)["revision"] != 1.0 {
		t.Fatal("refused moves wrote something")
	}
	r = ta.do("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"aborted","comment":"started through the gate instead"}`, `If-Match: "1"`)
	if r.status != 200 || r.header.Get("ETag") != `"2"` || r.json(t)["finished_at"] == nil {
		t.Fatalf("abort: %d %s", r.status, r.body)
	}

	// DEP-2 runs through the gate (open policy) and the engine's steps:
	// canary deployed, promoted on request, full deployed, succeeded
	ctx := context.Background()
	_, id := ta.startOpen(store.StartRequest{Release: "REL-1", Env: "prod-eu",
		Stages: []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}})
	ta.engineRun(id, 1, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-2/transitions", `{"to":"succeeded"}`), 409, "to")
	if got := ta.must("rm", "POST", "/api/v1/deployments/DEP-2/promote", `{"comment":"canary healthy"}`, 200); got["current_stage"] != 0.0 || got["promote_requested"] != true {
		t.Fatalf("promote %v", got)
	}
	ev, err := ta.store.EvaluateGate(ctx, testEngine, store.GateQuery{Release: 1, Env: "prod-eu", At: ta.store.Now()}, storetest.OpenPolicy(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := ta.store.AdvanceRollout(ctx, testEngine, id, 0, ev.ID); err != nil || d.CurrentStage != 1 {
		t.Fatalf("advance %+v %v", d, err)
	}
	ta.engineRun(id, 2, "")

	// pipelines append their own events; every entry links the resolved problem
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-2/events", `{"kind":"status","message":"x"}`), 400, "kind")
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-2/events", `{"kind":"smoke","links":["PRB-7"]}`), 400, "links")
	ta.problem(ta.do("aud", "POST", "/api/v1/deployments/DEP-2/events", `{"kind":"smoke"}`), 403, "")
	pe := ta.must("bot", "POST", "/api/v1/deployments/DEP-2/events", `{"kind":"smoke-test","message":"200 OK","links":["prb-1"]}`, 201)
	if pe["actor"] != "bot" || pe["stage"] != "full" || pe["deployment"] != "DEP-2" {
		t.Fatalf("event %v", pe)
	}
	if d, err := ta.store.SucceedDeployment(ctx, testEngine, id, 0, ta.store.Now().Add(time.Hour)); err != nil || d.Status != "succeeded" {
		t.Fatalf("succeed %+v %v", d, err)
	}
	done := ta.must("aud", "GET", "/api/v1/deployments/DEP-2", "", 200)
	if done["finished_at"] == nil || done["status"] != "succeeded" {
		t.Fatalf("succeed %v", done)
	}
	evs := depItems(ta.must("aud", "GET", "/api/v1/deployments/DEP-2/events", "", 200))
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e["kind"].(string))
		links := e["links"].([]any)
		if !slices.Contains(links, any("PRB-1")) || !slices.Contains(links, any("REL-1")) || !slices.Contains(links, any("DEP-2")) {
			t.Errorf("event %v lacks links", e)
		}
	}
	if !slices.Equal(kinds, []string{"created", "status", "action", "promote", "advanced", "action", "smoke-test", "status"}) {
		t.Fatalf("kinds %v", kinds)
	}
	pg := ta.must("aud", "GET", "/api/v1/deployments/DEP-2/events?limit=2", "", 200)
	next := ta.must("aud", "GET", "/api/v1/deployments/DEP-2/events?limit=2&cursor="+pg["next_cursor"].(string), "", 200)
	if n := depItems(next); len(n) != 2 || n[0]["kind"] != "action" || n[1]["kind"] != "promote" {
		t.Fatalf("second page %v", next)
	}

	// lists and what runs where
	if l := depItems(ta.must("aud", "GET", "/api/v1/deployments?release=REL-1&env=prod-eu&status=succeeded", "", 200)); len(l) != 1 || l[0]["id"] != "DEP-2" {
		t.Fatalf("list %v", l)
	}
	if l := depItems(ta.must("aud", "GET", "/api/v1/deployments?status=running", "", 200)); len(l) != 0 {
		t.Fatalf("list running %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/deployments?status=done", ""), 400, "status")
	ta.problem(ta.do("aud", "GET", "/api/v1/deployments?release=PRB-1", ""), 400, "release")
	live := ta.must("aud", "GET", "/api/v1/environments/prod-eu/live", "", 200)
	if l := depItems(live); len(l) != 1 || l[0]["deployment"] != "DEP-2" || l[0]["release"] != "REL-1" || l[0]["version"] != "1.4.3" {
		t.Fatalf("live %v", live)
	}
	earlier := ta.clock.T.Add(-time.Hour).Format(time.RFC3339)
	if l := ta.must("aud", "GET", "/api/v1/environments/prod-eu/live?at="+earlier, "", 200); len(depItems(l)) != 0 {
		t.Fatalf("live an hour ago %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/environments/prod-eu/live?at=2026-03-02T10:00:00", ""), 400, "at")
	ta.problem(ta.do("aud", "GET", "/api/v1/environments/moon/live", ""), 404, "")
}

func TestAPIApprovals(t *testing.T) {
	ta := newTestAPI(t)
	depFixRelease(ta)
	if _, err := ta.store.CreateRelease(context.Background(), audit.Actor{User: "admin", Role: "admin"},
		release.Release{Version: "2.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	approve := `{"record":"REL-1","decision":"approve"}`
	ta.problem(ta.do("bot", "POST", "/api/v1/approvals", approve), 403, "")
	before := ta.auditCount()
	for _, c := range []struct{ user, body, why string }{
		{"rm", approve, "rm created REL-1"},
		{"dual", approve, "dual recorded the root cause analysis of PRB-1"},
		{"admin", `{"record":"REL-2","decision":"approve"}`, "admin created REL-2"},
	} {
		p := ta.problem(ta.do(c.user, "POST", "/api/v1/approvals", c.body), 403, "")
		if d, _ := p["detail"].(string); !strings.Contains(d, c.why) {
			t.Errorf("%s: detail %q does not say %q", c.user, d, c.why)
		}
	}
	ta.problem(ta.do("cab", "POST", "/api/v1/approvals", `{"record":"PRB-1","decision":"approve"}`), 400, "record")
	ta.problem(ta.do("cab", "POST", "/api/v1/approvals", `{"record":"REL-99","decision":"approve"}`), 404, "")
	ta.problem(ta.do("cab", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"reject"}`), 400, "comment")
	ta.problem(ta.do("cab", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","role":"admin"}`), 403, "")
	ta.problem(ta.do("cab", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","revision":2}`), 412, "")
	// Only the four refusals (403) are audited; the approvals are not stored.
	if ta.auditCount() != before+4 || len(depItems(ta.must("aud", "GET", "/api/v1/approvals", "", 200))) != 0 {
		t.Fatal("refused approvals wrote something besides their refusals")
	}
	x := ta.must("cab", "POST", "/api/v1/approvals", `{"record":"rel-1","decision":"approve","comment":"rollback plan ok","revision":1}`, 201)
	if x["id"] != "APR-1" || x["record"] != "REL-1" || x["approver"] != "cab" || x["role"] != "cab_member" || x["record_revision"] != 1.0 {
		t.Fatalf("approval %v", x)
	}
	pm := ta.must("pm", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"reject","comment":"no tests"}`, 201)
	if pm["role"] != "problem_manager" || pm["record_type"] != "release" {
		t.Fatalf("pm decision %v", pm)
	}
	if got := ta.must("aud", "GET", "/api/v1/approvals/APR-1", "", 200); got["comment"] != "rollback plan ok" {
		t.Fatalf("get %v", got)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/approvals/APR-9", ""), 404, "")
	if r := ta.do("admin", "PATCH", "/api/v1/approvals/APR-1", `{"comment":"x"}`); r.status != 404 && r.status != 405 {
		t.Fatalf("approvals are immutable, PATCH answered %d", r.status)
	}
	if l := depItems(ta.must("aud", "GET", "/api/v1/approvals?record=REL-1", "", 200)); len(l) != 1 || l[0]["id"] != "APR-1" {
		t.Fatalf("list %v", l)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/approvals?record=INC-1", ""), 400, "record")
	v := ta.must("aud", "GET", "/api/v1/approvals/verdict?record=REL-1", "", 200)
	if len(v["approvals"].([]any)) != 1 || v["revision"] != 1.0 {
		t.Fatalf("verdict %v", v)
	}
	// the release's content changes: cab's approval is stale and no longer counts
	if _, err := ta.store.DB().Exec(`UPDATE releases SET version = '1.4.4', rev = rev + 1 WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	v = ta.must("aud", "GET", "/api/v1/approvals/verdict?record=REL-1", "", 200)
	if len(v["approvals"].([]any)) != 0 || v["stale"] != 1.0 || v["revision"] != 2.0 {
		t.Fatalf("verdict after change %v", v)
	}
	if v := ta.must("aud", "GET", "/api/v1/approvals/verdict?record=REL-2", "", 200); len(v["rejections"].([]any)) != 1 {
		t.Fatalf("REL-2 verdict %v", v)
	}
}

package api

import (
	"context"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/change"
	"fixgate/internal/release"
)

func TestPIRKPIRefreshAndChangeModelChecklistAPI(t *testing.T) {
	ta := newTestAPI(t)
	ctx := context.Background()
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout leak","priority":2}`, 201)
	if _, err := ta.store.CreateRelease(ctx, audit.System("test"), release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ta.store.CreateChange(ctx, audit.System("test"), change.Change{Title: "Deploy fix", Type: change.Normal, Release: "REL-1",
		ChangeModel: "memory-leak-patch"}); err != nil {
		t.Fatal(err)
	}
	p := ta.must("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","release":"REL-1","kpis":{"p99_ms":300},
		"checklist":["heap profile before/after attached","alert on RSS growth per pod"]}`, 201)
	if k := p["kpis"].(map[string]any); len(k) != 1 {
		t.Fatalf("kpis of a review of an unresolved problem: %v", k)
	}
	n := ta.auditCount()
	ta.problem(ta.do("aud", "POST", "/api/v1/pirs/PIR-1/kpis/refresh", ""), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/pirs/PIR-1/kpis/refresh", ""), 412, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/pirs/PIR-9/kpis/refresh", ""), 404, "")
	if ta.auditCount() != n+1 { // only the role refusal is audited
		t.Fatalf("refused refreshes wrote %d audit events", ta.auditCount()-n)
	}
	before := ta.must("aud", "GET", "/api/v1/change-models/memory-leak-patch/checklist", "", 200)
	if len(before["added"].([]any)) != 0 || len(before["checklist"].([]any)) != 2 || before["in_policy"] != true {
		t.Fatalf("before: %v", before)
	}
	ta.must("pm", "PATCH", "/api/v1/pirs/PIR-1", `{"root_cause_eliminated":true,"findings":"leak gone","revision":1}`, 200)
	ta.must("pm", "POST", "/api/v1/pirs/PIR-1/transitions", `{"to":"completed","comment":"done","revision":2}`, 200)
	got := ta.must("aud", "GET", "/api/v1/change-models/memory-leak-patch/checklist", "", 200)
	added, list := got["added"].([]any), asStrings(got["checklist"])
	if len(added) != 2 || added[1].(map[string]any)["pir"] != "PIR-1" || len(list) != 3 || list[2] != "alert on RSS growth per pod" {
		t.Fatalf("refined checklist: %v", got)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/change-models/no-such-model/checklist", ""), 404, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/pirs/PIR-1/kpis/refresh", ""), 409, "")
}

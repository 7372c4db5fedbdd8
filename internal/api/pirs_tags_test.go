package api

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/store"
)

// TestPIRFindingTagsAPI: finding tags are root cause categories of the
// policy in force: an unknown one is refused naming finding_tags (nothing
// written); known ones are stored sorted, returned by get and list, carried
// by the audit event, and a PATCH replaces them.
func TestPIRFindingTagsAPI(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout leak","priority":2}`, 201)
	n := ta.auditCount()
	ta.problem(ta.do("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","finding_tags":["flaky_tests"]}`), 400, "finding_tags")
	if ta.auditCount() != n {
		t.Fatal("a refused tag wrote an audit event")
	}
	p := ta.must("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","finding_tags":["testing_gap","environment_inconsistency"]}`, 201)
	if got := asStrings(p["finding_tags"]); len(got) != 2 || got[0] != "environment_inconsistency" || got[1] != "testing_gap" {
		t.Fatalf("created tags %v", p["finding_tags"])
	}
	ta.problem(ta.do("pm", "PATCH", "/api/v1/pirs/PIR-1", `{"finding_tags":["testing_gap","nope"],"revision":1}`), 400, "finding_tags")
	ta.must("pm", "PATCH", "/api/v1/pirs/PIR-1", `{"finding_tags":["code_defect"],"revision":1}`, 200)
	if got := asStrings(ta.must("aud", "GET", "/api/v1/pirs/PIR-1", "", 200)["finding_tags"]); len(got) != 1 || got[0] != "code_defect" {
		t.Fatalf("get after patch: %v", got)
	}
	l := ta.must("aud", "GET", "/api/v1/pirs?problem=PRB-1", "", 200)
	if got := asStrings(l["items"].([]any)[0].(map[string]any)["finding_tags"]); len(got) != 1 || got[0] != "code_defect" {
		t.Fatalf("list: %v", l)
	}
	ta.must("pm", "PATCH", "/api/v1/pirs/PIR-1", `{"findings":"leak gone","revision":2}`, 200)
	if got := asStrings(ta.must("aud", "GET", "/api/v1/pirs/PIR-1", "", 200)["finding_tags"]); len(got) != 1 {
		t.Fatalf("a patch without finding_tags kept them? %v", got)
	}
	evs, err := ta.store.ListAuditEvents(context.Background(), store.AuditFilter{RecordType: "pir", RecordID: "PIR-1", Action: "pir.update"})
	if err != nil {
		t.Fatal(err)
	}
	// newest first: the findings patch, then the tags patch (its before and after name the change)
	if len(evs) != 2 || !strings.Contains(evs[1].Before, `"finding_tags":["environment_inconsistency","testing_gap"]`) ||
		!strings.Contains(evs[1].After, `"finding_tags":["code_defect"]`) {
		t.Fatalf("audit of the tag change: %+v", evs)
	}
}

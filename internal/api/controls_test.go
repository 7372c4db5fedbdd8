package api

import (
	"context"
	"testing"

	"fixgate/internal/audit"
)

// TestControlAssessments: auditors assess a period (stored, then listed and
// read back), a bad period is 400 naming the field, engineers are refused.
func TestControlAssessments(t *testing.T) {
	ta := newTestAPI(t)
	priv, _, err := audit.GenerateKey("fixgate.test/audit")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.store.SignCheckpoint(context.Background(), priv); err != nil {
		t.Fatal(err)
	}
	a := ta.must("aud", "POST", "/api/v1/reports/controls", `{"period":"2026-Q3"}`, 201)
	if a["id"] != "ASSESS-1" || a["passed"] != true || len(a["results"].([]any)) != 9 {
		t.Fatalf("assessment %v", a)
	}
	got := ta.must("aud", "GET", "/api/v1/reports/controls/ASSESS-1", "", 200)
	if got["id"] != "ASSESS-1" || got["period"].(map[string]any)["name"] != "2026-Q3" {
		t.Fatalf("get %v", got)
	}
	list := ta.must("aud", "GET", "/api/v1/reports/controls?period=2026-q3", "", 200)
	if items := list["items"].([]any); len(items) != 1 {
		t.Fatalf("list %v", list)
	}
	ta.problem(ta.do("aud", "POST", "/api/v1/reports/controls", `{"period":"2026-Q5"}`), 400, "period")
	if r := ta.do("eng", "POST", "/api/v1/reports/controls", `{"period":"2026-Q3"}`); r.status != 403 {
		t.Fatalf("engineer: status %d", r.status)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/reports/controls/ASSESS-9", ""), 404, "")
}

package api

import (
	"context"
	"strings"
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

// TestExportISO20000: an assessment exported in each format with its
// media type; an unknown format or record kind is 400, a missing record 404.
func TestExportISO20000(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("aud", "POST", "/api/v1/reports/controls", `{"period":"2026-07"}`, 201)
	for format, ctype := range map[string]string{"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8", "pdf": "application/pdf"} {
		r := ta.do("aud", "GET", "/api/v1/exports/iso20000/ASSESS-1?format="+format, "")
		if r.status != 200 || r.header.Get("Content-Type") != ctype || !strings.Contains(string(r.body), "ASSESS-1") {
			t.Errorf("%s: status %d type %q body %.80q", format, r.status, r.header.Get("Content-Type"), r.body)
		}
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/exports/iso20000/ASSESS-1?format=docx", ""), 400, "format")
	ta.problem(ta.do("aud", "GET", "/api/v1/exports/iso20000/INC-1", ""), 400, "record")
	ta.problem(ta.do("aud", "GET", "/api/v1/exports/iso20000/REL-99", ""), 404, "")
}

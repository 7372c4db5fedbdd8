package api

import "testing"

// TestPatternsReportRolesAndContract: readers but pipelines get the report
// (every dimension listed, null rates over nothing, "not enough" conclusions
// with their text); a pipeline is refused; a bad period names "since".
func TestPatternsReportRolesAndContract(t *testing.T) {
	ta := newTestAPI(t)
	for _, u := range []string{"aud", "pm", "rm", "cab", "admin"} {
		m := ta.must(u, "GET", "/api/v1/reports/patterns?since=30d&env=prod-eu", "", 200)
		pf, _ := m["problem_fix"].(map[string]any)
		if pf["failed"] != 0.0 || pf["total"] != 0.0 || pf["rate"] != nil || pf["deployments"] == nil {
			t.Fatalf("%s: problem_fix = %v", u, m["problem_fix"])
		}
		if f, _ := m["failures"].([]any); len(f) != 7 || f[6].(map[string]any)["dimension"] != "finding_tag" {
			t.Fatalf("%s: failures %v", u, m["failures"])
		}
		recs, _ := m["recommendations"].([]any)
		if len(recs) != 8 || recs[0].(map[string]any)["kind"] != "not_enough_evidence" {
			t.Fatalf("%s: recommendations %v", u, recs)
		}
		if e, _ := m["evidence"].(map[string]any); e["min_sample"] != 10.0 {
			t.Fatalf("%s: evidence %v", u, m["evidence"])
		}
	}
	ta.problem(ta.do("bot", "GET", "/api/v1/reports/patterns", ""), 403, "")
	ta.problem(ta.do("aud", "GET", "/api/v1/reports/patterns?since=soon", ""), 400, "since")
}

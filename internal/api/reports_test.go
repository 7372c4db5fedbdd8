package api

import "testing"

// TestKPIReportRolesAndContract: readers but pipelines get the report (the
// JSON contract: each change failure rate with failed, total, a null rate
// over nothing and its deployments); a pipeline is refused; a bad period
// names "since".
func TestKPIReportRolesAndContract(t *testing.T) {
	ta := newTestAPI(t)
	for _, u := range []string{"aud", "pm", "rm", "cab", "admin"} {
		m := ta.must(u, "GET", "/api/v1/reports/kpi?since=30d&env=prod-eu", "", 200)
		cfr, _ := m["change_failure_rate"].(map[string]any)
		for _, k := range []string{"problem_fix", "feature"} {
			r, ok := cfr[k].(map[string]any)
			if !ok || r["failed"] != 0.0 || r["total"] != 0.0 || r["rate"] != nil || r["deployments"] == nil {
				t.Fatalf("%s: change_failure_rate.%s = %v", u, k, cfr[k])
			}
		}
		if f, _ := m["filter"].(map[string]any); f["env"] != "prod-eu" {
			t.Fatalf("%s: filter %v", u, m["filter"])
		}
	}
	ta.problem(ta.do("bot", "GET", "/api/v1/reports/kpi", ""), 403, "")
	ta.problem(ta.do("aud", "GET", "/api/v1/reports/kpi?since=soon", ""), 400, "since")
}

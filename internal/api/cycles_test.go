package api

import (
	"strings"
	"testing"
)

// TestAPICycles: a problem manager plans a cycle, targets problems (If-Match
// guarded), shows it with states and releases; an auditor reads but may not
// write; the plan ranks the recurring problem first, flags the workaround-
// only one and shows the risk of bundling into the open release.
func TestAPICycles(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":3,"cis":["checkout-api"],"workaround":"restart the pool"}`, 201)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Payments slow","priority":1,"cis":["checkout-api"]}`, 201)
	for i, p := range []string{"PRB-1", "PRB-1", "PRB-1", "PRB-2"} {
		ta.must("eng", "POST", "/api/v1/incidents", `{"title":"500s","source":"api","ci":"checkout-api","env":"prod-eu","severity":2,"opened_at":"`+
			ta.clock.T.AddDate(0, 0, -1-i).Format("2006-01-02T15:04:05Z")+`","problem":"`+p+`"}`, 201)
	}
	ta.must("rm", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"feature","components":["checkout-api@1.4.3"]}`, 201)

	body := `{"name":"train-03","starts_at":"2026-03-01T00:00:00Z","ends_at":"2026-03-31T00:00:00Z","envs":["prod-eu"]}`
	ta.problem(ta.do("aud", "POST", "/api/v1/cycles", body), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/cycles", strings.Replace(body, "prod-eu", "mars", 1)), 400, "envs")
	cyc := ta.must("pm", "POST", "/api/v1/cycles", body, 201)
	if cyc["id"] != "CYC-1" {
		t.Fatalf("created %v", cyc)
	}
	ta.problem(ta.do("pm", "POST", "/api/v1/cycles/CYC-1/problems", `{"problem":"PRB-1"}`, `If-Match: "7"`), 412, "")
	ta.must("pm", "POST", "/api/v1/cycles/train-03/problems", `{"problem":"PRB-1"}`, 200, `If-Match: "1"`)
	ta.must("rm", "POST", "/api/v1/cycles/CYC-1/problems", `{"problem":"PRB-2","revision":2}`, 200)
	ta.must("pm", "DELETE", "/api/v1/cycles/CYC-1/problems/PRB-2", "", 200, `If-Match: "3"`)
	show := ta.must("aud", "GET", "/api/v1/cycles/CYC-1", "", 200)
	targets := show["targets"].([]any)
	if len(targets) != 1 || targets[0].(map[string]any)["problem"] != "PRB-1" || targets[0].(map[string]any)["status"] != "new" {
		t.Fatalf("show %v", show)
	}
	if list := ta.must("aud", "GET", "/api/v1/cycles", "", 200); len(list["items"].([]any)) != 1 {
		t.Fatalf("list %v", list)
	}

	plan := ta.must("aud", "GET", "/api/v1/cycles/plan?since=30d", "", 200)
	props := plan["proposals"].([]any)
	first := props[0].(map[string]any)
	if len(props) != 2 || first["problem"] != "PRB-1" || first["incidents"] != float64(3) || first["systemic_fix_over_workaround"] != true {
		t.Fatalf("proposals %v", props)
	}
	bundles := plan["bundles"].([]any)
	b := bundles[0].(map[string]any)
	if len(bundles) != 1 || b["release"] != "REL-1" || b["risk_now"] != "high" || b["risk_bundled"] != "critical" || b["raises"] != true {
		t.Fatalf("bundles %v", bundles)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/cycles/plan?since=forever", ""), 400, "since")
}

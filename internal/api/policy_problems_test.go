package api

import (
	"testing"
	"time"

	"fixgate/internal/deploy"
)

// The problem handlers take the root cause taxonomy and the observation
// periods from the policy in force.
func TestProblemRulesFollowThePolicy(t *testing.T) {
	ta := newTestAPI(t)
	pol := "root_cause_categories: [vendor_bug, code_defect]\nobservation_periods:\n  2: 3d\n"
	ta.must("admin", "PUT", "/api/v1/policy", pol, 200, "Content-Type: application/yaml")
	ta.must("eng", "POST", "/api/v1/problems", `{"title":"x","priority":2}`, 201)
	for _, to := range []string{"assess", "rca"} {
		ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"`+to+`"}`, 200)
	}
	ta.problem(ta.do("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"capacity","summary":"x"}`), 400, "category")
	ta.must("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"vendor_bug","summary":"driver leaks handles"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`, 200)
	ta.must("eng", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"fix_in_progress"}`, 200)
	// the observation period starts when a resolving release succeeds in production
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"problem-fix","resolves":["PRB-1"]}`, 201)
	ta.engineDeploy("REL-1", "prod-eu", deploy.Succeeded)
	p := ta.must("pm", "GET", "/api/v1/problems/PRB-1", "", 200)
	until, err := time.Parse(time.RFC3339Nano, p["observation_until"].(string))
	if err != nil || !until.Equal(ta.clock.T.Add(72*time.Hour)) {
		t.Fatalf("observation until %v (%v), want now + 3d", p["observation_until"], err)
	}
}

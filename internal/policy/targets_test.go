package policy

import (
	"strings"
	"testing"
	"time"
)

// TestChangeModelTargets: a change model's targets parse; a reduction
// outside 0–100 and a PromQL query without its bound are refused naming the key.
func TestChangeModelTargets(t *testing.T) {
	doc := "change_models:\n  hotfix:\n    default_change_type: normal\n    rollout_path: [{name: full, weight: 100}]\n    targets:\n      incident_rate_reduction: 80\n      mttr_below: 4h\n"
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	tg := p.ChangeModels["hotfix"].Targets
	if tg.IncidentRateReduction == nil || *tg.IncidentRateReduction != 80 || time.Duration(tg.MTTRBelow) != 4*time.Hour || !tg.Any() {
		t.Fatalf("targets %+v", tg)
	}
	for bad, key := range map[string]string{"incident_rate_reduction: 120": "incident_rate_reduction", "incident_rate_reduction: 80\n      error_ratio_query: up": "error_ratio_query"} {
		_, err := Parse([]byte(strings.Replace(doc, "incident_rate_reduction: 80", bad, 1)))
		if err == nil || !strings.Contains(err.Error(), "targets."+key) {
			t.Fatalf("%s: %v", bad, err)
		}
	}
}

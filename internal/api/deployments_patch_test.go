package api

import (
	"strings"
	"testing"
)

func TestDeploymentPatchBeforeStartOnly(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.0","type":"feature"}`, 201)
	ta.must("bot", "POST", "/api/v1/deployments", `{"release":"REL-1","env":"prod-eu"}`, 201)
	ta.problem(ta.do("bot", "PATCH", "/api/v1/deployments/DEP-1", `{"path":[{"name":"canary","weight":10}]}`, `If-Match: "1"`), 400, "path")
	ta.problem(ta.do("bot", "PATCH", "/api/v1/deployments/DEP-1", `{"change":"CHG-9"}`, `If-Match: "1"`), 400, "change")
	d := ta.must("bot", "PATCH", "/api/v1/deployments/DEP-1", `{"path":[{"name":"canary","weight":10},{"name":"full","weight":100}],"revision":1}`, 200)
	if len(d["path"].([]any)) != 2 || d["revision"] != 2.0 {
		t.Fatalf("patched %v", d)
	}
	evs := ta.must("aud", "GET", "/api/v1/deployments/DEP-1/events", "", 200)["items"].([]any)
	last := evs[len(evs)-1].(map[string]any)
	if last["kind"] != "updated" || !strings.Contains(last["message"].(string), "canary") {
		t.Fatalf("events %v", evs)
	}
	ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/events", `{"kind":"updated","message":"forged"}`), 400, "kind")
	ta.must("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"running"}`, 200)
	before := ta.auditCount()
	ta.problem(ta.do("bot", "PATCH", "/api/v1/deployments/DEP-1", `{"path":[{"name":"full","weight":100}]}`, `If-Match: "3"`), 409, "")
	if ta.auditCount() != before {
		t.Fatal("refused patch wrote audit events")
	}
}

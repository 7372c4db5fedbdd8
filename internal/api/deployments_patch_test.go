package api

import (
	"fmt"
	"strings"
	"testing"

	"fixgate/internal/store"
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
	// a pending deployment is not started by hand: the refusal names the command
	p := ta.problem(ta.do("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"running"}`), 409, "to")
	if !strings.Contains(p["detail"].(string), "deploy start") {
		t.Fatalf("hand start: %v", p)
	}
	// a blocked one is still editable; it does not start either
	blocked := ta.must("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"blocked"}`, 200)
	if blocked["status"] != "blocked" {
		t.Fatalf("blocked %v", blocked)
	}
	ta.must("bot", "PATCH", "/api/v1/deployments/DEP-1", `{"path":[{"name":"canary","weight":20},{"name":"full","weight":100}]}`, 200, `If-Match: "3"`)
	ta.must("bot", "POST", "/api/v1/deployments/DEP-1/transitions", `{"to":"aborted","comment":"started through the gate instead"}`, 200)
	// started through the gate (DEP-2, running): its path no longer changes
	ta.startOpen(store.StartRequest{Release: "REL-1", Env: "prod-eu"})
	before := ta.auditCount()
	for _, id := range []string{"DEP-1", "DEP-2"} {
		rev := ta.must("aud", "GET", "/api/v1/deployments/"+id, "", 200)["revision"].(float64)
		ta.problem(ta.do("bot", "PATCH", "/api/v1/deployments/"+id, fmt.Sprintf(`{"path":[{"name":"full","weight":100}],"revision":%v}`, rev)), 409, "")
	}
	if ta.auditCount() != before {
		t.Fatal("refused patch wrote audit events")
	}
}

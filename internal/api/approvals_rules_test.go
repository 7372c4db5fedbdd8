package api

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/release"
)

// TestAPIPeerApprovals: docs/policy.md says a peer is anyone but an
// auditor or a pipeline, so engineers and validators approve (as
// themselves), while separation of duties still refuses an author.
func TestAPIPeerApprovals(t *testing.T) {
	ta := newTestAPI(t)
	depFixRelease(ta)
	if _, err := ta.store.CreateRelease(context.Background(), audit.Actor{User: "eng", Role: "engineer"},
		release.Release{Version: "2.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"eng2": "engineer", "val": "validator"} {
		x := ta.must(user, "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","comment":"peer review"}`, 201)
		if x["approver"] != user || x["role"] != role {
			t.Fatalf("%s: approval %v", user, x)
		}
	}
	p := ta.problem(ta.do("eng", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`), 403, "")
	if d, _ := p["detail"].(string); !strings.Contains(d, "eng created REL-2") {
		t.Fatalf("author's approval: %v", p)
	}
	p = ta.problem(ta.do("dual", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","role":"engineer"}`), 403, "")
	if d, _ := p["detail"].(string); !strings.Contains(d, "root cause analysis of PRB-1") {
		t.Fatalf("RCA author's approval: %v", p)
	}
	ta.problem(ta.do("aud", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`), 403, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`), 403, "")
	if l := depItems(ta.must("aud", "GET", "/api/v1/approvals", "", 200)); len(l) != 2 {
		t.Fatalf("refused approvals were stored: %v", l)
	}
}

// TestAPIChangeModels: a change model's default_change_type is the type of
// a change that names the model without a type; an unknown model is refused
// naming change_model, and nothing is written.
func TestAPIChangeModels(t *testing.T) {
	ta := newTestAPI(t)
	x := ta.must("rm", "POST", "/api/v1/changes", `{"title":"leak fix","change_model":"memory-leak-patch"}`, 201)
	if x["type"] != "normal" || x["change_model"] != "memory-leak-patch" {
		t.Fatalf("default type: %v", x)
	}
	x = ta.must("rm", "POST", "/api/v1/changes", `{"title":"config fix","change_model":"config-correction","type":"normal"}`, 201)
	if x["type"] != "normal" {
		t.Fatalf("an explicit type wins over the default: %v", x)
	}
	before := ta.auditCount()
	ta.problem(ta.do("rm", "POST", "/api/v1/changes", `{"title":"x","type":"normal","change_model":"no-such-model"}`), 400, "change_model")
	ta.problem(ta.do("rm", "PATCH", "/api/v1/changes/CHG-1", `{"change_model":"no-such-model","revision":1}`), 400, "change_model")
	ta.problem(ta.do("rm", "POST", "/api/v1/changes", `{"title":"no model, no type"}`), 400, "type")
	if ta.auditCount() != before {
		t.Fatal("a refused change wrote something")
	}
	if x := ta.must("rm", "PATCH", "/api/v1/changes/CHG-1", `{"change_model":"dependency-upgrade","revision":1}`, 200); x["change_model"] != "dependency-upgrade" {
		t.Fatalf("patch to a known model: %v", x)
	}
}

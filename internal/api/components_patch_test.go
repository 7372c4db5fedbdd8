package api

import "testing"

func TestComponentPatchOnlyWhileCandidate(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"payments-lib","kind":"library"}`, 201)
	ta.must("bot", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.3"}`, 201)
	ta.problem(ta.do("bot", "PATCH", "/api/v1/components/checkout-api@1.4.3", `{"digest":"sha256:x"}`, `If-Match: "1"`), 400, "digest")
	ta.problem(ta.do("bot", "PATCH", "/api/v1/components/checkout-api@1.4.3", `{"dependencies":[{"ci":"nope","constraint":"^1"}]}`, `If-Match: "1"`), 400, "dependencies")
	v := ta.must("bot", "PATCH", "/api/v1/components/CV-1", `{"dependencies":[{"ci":"payments-lib","constraint":"^2.1"}],"revision":1}`, 200)
	if deps := v["dependencies"].([]any); len(deps) != 1 || v["revision"] != 2.0 || v["version"] != "1.4.3" {
		t.Fatalf("patched %v", v)
	}
	ta.must("rm", "POST", "/api/v1/components/CV-1/transitions", `{"to":"approved"}`, 200)
	before := ta.auditCount()
	m := ta.problem(ta.do("bot", "PATCH", "/api/v1/components/CV-1", `{"digest":"sha256:`+hex64+`"}`, `If-Match: "3"`), 409, "")
	if ta.auditCount() != before {
		t.Fatalf("refused patch wrote audit events: %v", m)
	}
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

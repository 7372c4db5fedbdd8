package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every refusal of an authenticated request leaves exactly one audit event
// (access.denied) naming the rule that refused it and the reason, and
// nothing else: not the approval, not the validation, not a new revision.
func TestRefusalsAreAuditedWithTheirRule(t *testing.T) {
	ta := newTestAPI(t)
	depFixRelease(ta) // rm created REL-1; dual wrote the RCA of PRB-1, which REL-1 resolves
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"slow search","priority":3}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-2/transitions", `{"to":"assess"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-2/transitions", `{"to":"rca"}`, 200)
	ta.must("pm", "PUT", "/api/v1/problems/PRB-2/rca", `{"category":"capacity","summary":"index missing"}`, 200)
	rev := ta.must("aud", "GET", "/api/v1/problems/PRB-2", "", 200)["revision"]
	for _, c := range []struct{ user, path, body, rule, reason string }{
		{"rm", "/api/v1/approvals", `{"record":"REL-1","decision":"approve"}`, "separation_of_duties", "rm created REL-1"},
		{"pm", "/api/v1/problems/PRB-2/rca/validations", `{"comment":"mine"}`, "separation_of_duties", "pm wrote this root cause analysis"},
		{"dual", "/api/v1/approvals", `{"record":"REL-1","decision":"approve"}`, "separation_of_duties", "dual recorded the root cause analysis of PRB-1"},
		{"cab", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","role":"admin"}`, "role", "you do not hold the role admin"},
		{"aud", "/api/v1/approvals", `{"record":"REL-1","decision":"approve"}`, "role", "needs one of the roles"},
	} {
		before := ta.auditCount()
		ta.problem(ta.do(c.user, "POST", c.path, c.body), 403, "")
		if n := ta.auditCount() - before; n != 1 {
			t.Fatalf("%s POST %s: %d audit events, want exactly 1 refusal", c.user, c.path, n)
		}
		evs, err := ta.store.AuditEventsFor(t.Context(), "request", "POST "+c.path, 100)
		if err != nil || len(evs) == 0 {
			t.Fatalf("no refusal event for POST %s: %v", c.path, err)
		}
		e := evs[len(evs)-1]
		var after map[string]string
		if err := json.Unmarshal([]byte(e.After), &after); err != nil {
			t.Fatal(err)
		}
		if e.Action != "access.denied" || e.Actor != c.user || after["rule"] != c.rule || !strings.Contains(after["reason"], c.reason) {
			t.Errorf("%s POST %s: event %s by %s, after %v; want access.denied naming %q and %q", c.user, c.path, e.Action, e.Actor, after, c.rule, c.reason)
		}
	}
	if l := ta.must("aud", "GET", "/api/v1/approvals", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("a refused approval was stored: %v", l)
	}
	if l := ta.must("aud", "GET", "/api/v1/problems/PRB-2/rca/validations", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("a refused validation was stored: %v", l)
	}
	if p := ta.must("aud", "GET", "/api/v1/problems/PRB-2", "", 200); p["revision"] != rev || p["rca"].(map[string]any)["validated_by"] != nil && p["rca"].(map[string]any)["validated_by"] != "" {
		t.Fatalf("the refused validation changed the problem: %v", p)
	}
}

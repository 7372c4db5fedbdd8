package api

import (
	"strings"
	"testing"
)

// An emergency change that fixes a known problem needs a problem_manager's
// sign-off (`fixgate approve CHG-n` by a problem manager) on its current
// revision and a deviation record; either missing blocks, a sign-off given
// before the deviation was recorded is stale.
func TestAPIEmergencyChangeSignoff(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve","comment":"CAB"}`, 201)
	ta.must("rm", "POST", "/api/v1/changes", `{"title":"hotfix the leak","type":"emergency","release":"REL-2","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
	ta.tickAll("CHG-2", "eng")

	ev := ta.evaluate("bot", gateBody)
	why := reasons(ev, "approvals")
	if ev["decision"] != "blocked" || !strings.Contains(why, "problem_manager") || !strings.Contains(why, "deviation") {
		t.Fatalf("no sign-off, no deviation: %v / %s", ev["decision"], why)
	}
	ta.must("pm", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve","comment":"sign-off"}`, 201)
	ev = ta.evaluate("bot", gateBody)
	why = reasons(ev, "approvals")
	if ev["decision"] != "blocked" || strings.Contains(why, "problem_manager") || !strings.Contains(why, "deviation") {
		t.Fatalf("sign-off without deviation: %s", why)
	}
	ta.must("pm", "POST", "/api/v1/changes/CHG-2/deviations",
		`{"step_skipped":"cab_review","reason":"checkout down, CAB meets tomorrow","approved_by":"pm"}`, 200)
	ev = ta.evaluate("bot", gateBody)
	why = reasons(ev, "approvals")
	if ev["decision"] != "blocked" || !strings.Contains(why, "problem_manager") || strings.Contains(why, "deviation record") {
		t.Fatalf("the sign-off was on revision 1; the deviation made revision 2: %s", why)
	}
	// an engineer cannot sign off; the requester (rm) may not approve their own change
	ta.problem(ta.do("eng", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve"}`), 403, "")
	ta.do("rm", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve"}`)
	if ev = ta.evaluate("bot", gateBody); ev["decision"] != "blocked" {
		t.Fatalf("the requester's approval is no sign-off: %s", reasons(ev, "approvals"))
	}
	ta.must("pm", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve","comment":"sign-off, deviation read"}`, 201)
	ev = ta.evaluate("bot", gateBody)
	if ev["decision"] != "allowed" || rules(t, ev)["approvals"] != "pass" || !strings.Contains(reasons(ev, "approvals"), "pm as problem_manager") {
		t.Fatalf("signed off: %v / %s", ev["decision"], reasons(ev, "approvals"))
	}
}

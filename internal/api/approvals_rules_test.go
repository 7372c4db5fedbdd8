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

// TestAPIDeviationBounds: POST …/deviations takes from and to; the gate
// counts a maintenance_window deviation only inside [from, to); to not
// after from is refused naming "to" and writes nothing.
func TestAPIDeviationBounds(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve","comment":"CAB"}`, 201)
	before := ta.auditCount()
	ta.problem(ta.do("rm", "POST", "/api/v1/changes/CHG-1/deviations",
		`{"step_skipped":"maintenance_window","reason":"weekend fix","approved_by":"pm","from":"2026-12-05T12:00:00+01:00","to":"2026-12-05T09:00:00+01:00"}`), 400, "to")
	if ta.auditCount() != before {
		t.Fatal("a refused deviation wrote something")
	}
	x := ta.must("rm", "POST", "/api/v1/changes/CHG-1/deviations",
		`{"step_skipped":"maintenance_window","reason":"weekend fix","approved_by":"pm","from":"2026-12-05T09:00:00+01:00","to":"2026-12-05T12:00:00+01:00"}`, 200)
	d := x["deviations"].([]any)[0].(map[string]any)
	if d["from"] != "2026-12-05T08:00:00Z" || d["to"] != "2026-12-05T11:00:00Z" {
		t.Fatalf("deviation bounds: %v", d)
	}
	for at, want := range map[string]string{"2026-12-05T10:00:00+01:00": "warn", "2026-12-05T12:00:00+01:00": "fail", "2026-12-05T08:59:00+01:00": "fail"} {
		ev := ta.evaluate("rm", `{"release":"REL-2","environment":"prod-eu","at":"`+at+`"}`)
		if got := rules(t, ev)["maintenance_window"]; got != want {
			t.Errorf("at %s: maintenance_window %s, want %s: %s", at, got, want, reasons(ev, "maintenance_window"))
		}
	}
	if l := depItems(ta.must("aud", "GET", "/api/v1/deviations", "", 200)); len(l) != 1 || l[0]["to"] != "2026-12-05T11:00:00Z" {
		t.Fatalf("deviations report: %v", l)
	}
}

// TestAPIReleaseApprovedOnlyByApprovals: `release move REL-n approved` is
// refused (412 listing what is missing, audited) until the approvals that
// its risk class requires are there; then the lifecycle moves keep the CAB
// approval current for the gate.
func TestAPIReleaseApprovedOnlyByApprovals(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	before := ta.auditCount()
	p := ta.problem(ta.do("rm", "POST", "/api/v1/releases/REL-2/transitions", `{"to":"approved"}`), 412, "")
	missing, _ := p["extra"].(map[string]any)["missing"].([]any)
	if len(missing) == 0 || !strings.Contains(p["detail"].(string), "1 more cab_member approval") {
		t.Fatalf("refusal must list what is missing: %v", p)
	}
	if ta.auditCount() != before+1 || ta.must("aud", "GET", "/api/v1/releases/REL-2", "", 200)["status"] != "planned" {
		t.Fatal("the refusal must be audited and change nothing")
	}
	ta.must("eng2", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve","comment":"peer"}`, 201)
	ta.problem(ta.do("rm", "POST", "/api/v1/releases/REL-2/transitions", `{"to":"approved"}`), 412, "") // high risk: a peer is not CAB
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve","comment":"CAB"}`, 201)
	ta.must("rm", "POST", "/api/v1/releases/REL-2/transitions", `{"to":"approved"}`, 200)
	for _, to := range []string{"", "deploying", "deployed"} {
		if to != "" {
			ta.must("bot", "POST", "/api/v1/releases/REL-2/transitions", `{"to":"`+to+`"}`, 200)
		}
		ev := ta.evaluate("bot", gateBody)
		if rules(t, ev)["approvals"] != "pass" {
			t.Fatalf("after the move to %q the CAB approval must still count: %s", to, reasons(ev, "approvals"))
		}
	}
	if v := ta.must("aud", "GET", "/api/v1/approvals/verdict?record=REL-2", "", 200); len(v["approvals"].([]any)) != 2 || v["stale"] != 0.0 {
		t.Fatalf("verdict after the lifecycle moves: %v", v)
	}
}

// TestAPIChangeAuthorizedOnlyByApprovals: a normal change moves from
// authorize to scheduled only with its approvals (412 and audited
// otherwise), and its approval still counts at the gate once implementing.
func TestAPIChangeAuthorizedOnlyByApprovals(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"assess"}`, 200)
	ta.must("rm", "PATCH", "/api/v1/changes/CHG-1", `{"planned_start":"2026-12-01T08:00:00Z","planned_end":"2026-12-01T12:00:00Z"}`, 200, `If-Match: "2"`)
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"authorize"}`, 200)
	before := ta.auditCount()
	p := ta.problem(ta.do("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"scheduled"}`), 412, "")
	if !strings.Contains(p["detail"].(string), "cab_member") || ta.auditCount() != before+1 {
		t.Fatalf("unapproved authorisation: %v", p)
	}
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"CHG-1","decision":"approve","comment":"CAB"}`, 201)
	ta.must("rm", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"scheduled"}`, 200)
	ta.must("bot", "POST", "/api/v1/changes/CHG-1/transitions", `{"to":"implement"}`, 200)
	if ev := ta.evaluate("bot", gateBody); rules(t, ev)["approvals"] != "pass" {
		t.Fatalf("the change's approval must count after its moves: %s", reasons(ev, "approvals"))
	}
}

// TestAPISoDBypassHonoursDeviationBounds: an admin's separation-of-duties
// bypass needs a deviation covering the moment of the approval; one whose
// period ended (the test clock is 2026-03-02) opens nothing.
func TestAPISoDBypassHonoursDeviationBounds(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.must("admin", "POST", "/api/v1/changes", `{"title":"weekend fix","type":"normal","release":"REL-2","env":"prod-eu","change_model":"memory-leak-patch"}`, 201)
	ta.must("pm", "POST", "/api/v1/changes/CHG-2/deviations",
		`{"step_skipped":"separation_of_duties","reason":"on-call admin","approved_by":"pm","from":"2026-02-01T00:00:00Z","to":"2026-03-01T00:00:00Z"}`, 200)
	ta.problem(ta.do("admin", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve","comment":"on call"}`), 403, "")
	ta.must("pm", "POST", "/api/v1/changes/CHG-2/deviations",
		`{"step_skipped":"separation_of_duties","reason":"on-call admin","approved_by":"pm","from":"2026-03-01T00:00:00Z"}`, 200)
	ta.must("admin", "POST", "/api/v1/approvals", `{"record":"CHG-2","decision":"approve","comment":"on call"}`, 201)
}

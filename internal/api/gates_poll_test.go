package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fixgate/internal/ident"
)

// TestAPIGatePollStaysCurrent: pipelines poll the gate without a time, and
// every answer is current: a rejection recorded between two polls blocks the next one,
// the maintenance window is judged at each poll's own time, the answer is
// the stored record, and the audit event pins the stored verdict and input
// revisions by digest.
func TestAPIGatePollStaysCurrent(t *testing.T) {
	ta := newTestAPI(t)
	gateScenario(ta, gateOpts{})
	ta.tickAll("CHG-1", "eng")
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"approve"}`, 201)
	poll := func() map[string]any { return ta.evaluate("bot", `{"release":"REL-2","environment":"prod-eu"}`) }
	// the test clock starts on a Monday, 11:00 in Berlin: inside the office window
	first := poll()
	if first["decision"] != "allowed" {
		t.Fatalf("first poll: %s", reasons(first, "maintenance_window")+reasons(first, "approvals"))
	}
	ta.clock.Advance(time.Minute)
	second := poll()
	if second["decision"] != "allowed" || second["id"] == first["id"] || second["input_digest"] != first["input_digest"] {
		t.Fatalf("second poll: %v", second)
	}
	stored := ta.must("aud", "GET", "/api/v1/gates/evaluations/"+second["id"].(string), "", 200)
	if diff := cmp.Diff(stored, second); diff != "" {
		t.Fatalf("the answer is not the stored record (-stored +answer):\n%s", diff)
	}
	var verdict, after string
	secondID, _ := ident.Gate.Parse("id", second["id"].(string)) // GATE-1 is REL-1's start in gateScenario
	if err := ta.store.DB().QueryRow(`SELECT gv.verdict FROM gate_evaluations e JOIN gate_verdicts gv ON gv.digest = e.verdict_digest
		WHERE e.id = $1`, secondID).Scan(&verdict); err != nil {
		t.Fatal(err)
	}
	if err := ta.store.DB().QueryRow(`SELECT after_json FROM audit_events WHERE action = 'gate.evaluate' AND record_id = $1`, second["id"]).Scan(&after); err != nil {
		t.Fatal(err)
	}
	var pinned map[string]any
	json.Unmarshal([]byte(after), &pinned)
	sum := sha256.Sum256([]byte(verdict))
	if pinned["verdict_sha256"] != hex.EncodeToString(sum[:]) || pinned["input_digest"] != first["input_digest"] || pinned["decision"] != "allowed" {
		t.Fatalf("audit event %v does not pin the stored verdict", pinned)
	}
	// ten seconds later the verdict reads the same: its text is stored once
	ta.clock.Advance(10 * time.Second)
	third := poll()
	var verdicts, rows int
	// (REL-2's polls; REL-1's start in gateScenario has an evaluation and verdict of its own)
	if err := ta.store.DB().QueryRow(`SELECT COUNT(*), COUNT(DISTINCT verdict_digest) FROM gate_evaluations WHERE release_id = 2`).Scan(&rows, &verdicts); err != nil {
		t.Fatal(err)
	}
	if third["decision"] != "allowed" || rows != 3 || verdicts != 2 {
		t.Fatalf("3 evaluations (two in the same minute) should share 2 stored verdicts: %d evaluations, %d verdicts", rows, verdicts)
	}
	if got := ta.must("aud", "GET", "/api/v1/gates/evaluations/"+third["id"].(string), "", 200); !cmp.Equal(got, third) {
		t.Fatalf("the third answer is not its stored record: %s", cmp.Diff(got, third))
	}
	// Saturday: the same unchanged input, judged at the new time
	ta.clock.Advance(5 * 24 * time.Hour)
	if sat := poll(); sat["decision"] != "blocked" || rules(t, sat)["maintenance_window"] != "fail" {
		t.Fatalf("saturday poll: %v", rules(t, sat))
	}
	ta.clock.Advance(2 * 24 * time.Hour) // Monday again
	ta.must("cab", "POST", "/api/v1/approvals", `{"record":"REL-2","decision":"reject","comment":"not this week"}`, 201)
	rejected := poll()
	if rejected["decision"] != "blocked" || rules(t, rejected)["approvals"] != "fail" {
		t.Fatalf("after a rejection: %v %s", rules(t, rejected), reasons(rejected, "approvals"))
	}
}

package api

import (
	"strings"
	"testing"
)

// TestAPIReleasePlan: dependencies take a kind (default calls, anything
// else refused); the plan lists what to rebuild with reasons, readers may
// ask, and bad problems are refused naming resolves.
func TestAPIReleasePlan(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"payments-lib","kind":"library"}`, 201)
	ta.must("admin", "POST", "/api/v1/cis", `{"name":"web"}`, 201)
	ta.must("bot", "POST", "/api/v1/components", `{"ci":"payments-lib","version":"2.1.4"}`, 201)
	ta.problem(ta.do("bot", "POST", "/api/v1/components",
		`{"ci":"checkout-api","version":"1.4.2","dependencies":[{"ci":"payments-lib","constraint":"^2.1","kind":"links"}]}`), 400, "dependencies")
	v := ta.must("bot", "POST", "/api/v1/components",
		`{"ci":"checkout-api","version":"1.4.2","dependencies":[{"ci":"payments-lib","constraint":"^2.1","kind":"embeds"}]}`, 201)
	if d := v["dependencies"].([]any)[0].(map[string]any); d["kind"] != "embeds" {
		t.Fatalf("kind: %v", v)
	}
	v = ta.must("bot", "POST", "/api/v1/components", `{"ci":"web","version":"3.0.0","dependencies":[{"ci":"checkout-api","constraint":"~1.4.2"}]}`, 201)
	if d := v["dependencies"].([]any)[0].(map[string]any); d["kind"] != "calls" {
		t.Fatalf("default kind: %v", v)
	}
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"rounding","priority":2,"cis":["payments-lib"]}`, 201)

	plan := ta.must("aud", "GET", "/api/v1/releases/plan?resolves=prb-1", "", 200)
	items := plan["items"].([]any)
	var got []string
	for _, it := range items {
		m := it.(map[string]any)
		got = append(got, m["ci"].(string)+" "+m["current_version"].(string)+"->"+m["proposed_version"].(string)+" "+m["reason"].(string))
	}
	if strings.Join(got, "|") != "payments-lib 2.1.4->2.1.5 affected by PRB-1|checkout-api 1.4.2->1.4.3 embeds payments-lib" ||
		asStrings(plan["resolves"])[0] != "PRB-1" {
		t.Fatalf("plan %v", plan)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/releases/plan", ""), 400, "resolves")
	ta.problem(ta.do("aud", "GET", "/api/v1/releases/plan?resolves=PRB-9", ""), 400, "resolves")
	ta.problem(ta.do("aud", "GET", "/api/v1/releases/plan?resolves=nope", ""), 400, "resolves")
	ta.problem(ta.do("", "GET", "/api/v1/releases/plan?resolves=PRB-1", ""), 401, "")
}

// TestAPIReleaseCreateNext: next proposes the version and says its basis;
// with a version, or with nothing to base it on, it is refused and
// nothing is written.
func TestAPIReleaseCreateNext(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("bot", "POST", "/api/v1/components", `{"ci":"checkout-api","version":"1.4.2"}`, 201)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"timeouts","priority":2,"cis":["checkout-api"]}`, 201)
	n0 := ta.auditCount()
	ta.problem(ta.do("rm", "POST", "/api/v1/releases", `{"type":"problem-fix","resolves":["PRB-1"],"next":true}`), 400, "next")
	ta.problem(ta.do("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"],"next":true}`), 400, "next")
	ta.problem(ta.do("rm", "POST", "/api/v1/releases", `{"type":"problem-fix","resolves":["PRB-7"],"next":true}`), 400, "resolves")
	if ta.auditCount() != n0 {
		t.Fatal("refused creates wrote")
	}
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"feature","components":["checkout-api@1.4.2"]}`, 201)
	r := ta.must("rm", "POST", "/api/v1/releases", `{"type":"problem-fix","resolves":["PRB-1"],"next":true,"components":["checkout-api@1.4.2"]}`, 201)
	if r["version"] != "1.4.3" || r["version_basis"] != "REL-1 1.4.2, the latest release of checkout-api" || r["id"] != "REL-2" {
		t.Fatalf("next: %v", r)
	}
	if r := ta.must("rm", "GET", "/api/v1/releases/REL-1", "", 200); r["version_basis"] != nil {
		t.Fatalf("only a proposal says its basis: %v", r)
	}
}

// TestAPIReleaseTag: the tag record is the release's v<version> at a
// commit, audited, for the release roles only, and never moved.
func TestAPIReleaseTag(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"feature"}`, 201)
	commit := strings.Repeat("0f", 20)
	ta.problem(ta.do("aud", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.2","commit":"`+commit+`"}`), 403, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.3","commit":"`+commit+`"}`), 400, "tag")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.2","commit":"main"}`), 400, "commit")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.2","commit":"`+commit+`","revision":5}`), 412, "")
	n0 := ta.auditCount()
	r := ta.must("bot", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.2","commit":"`+commit+`","revision":1}`, 200)
	if r["tag"] != "v1.4.2" || r["commit"] != commit || r["revision"] != float64(2) || ta.auditCount() != n0+1 {
		t.Fatalf("tag: %v", r)
	}
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.4.2","commit":"`+strings.Repeat("1e", 20)+`"}`), 409, "")
	if r := ta.must("aud", "GET", "/api/v1/releases/REL-1", "", 200); r["commit"] != commit {
		t.Fatalf("moved: %v", r)
	}
}

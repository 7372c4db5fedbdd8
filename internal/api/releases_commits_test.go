package api

import "testing"

// TestAPIReleaseCommits: the release roles record a release's git range and
// commit count (compare-and-set on the release's revision, audited);
// readers read it back; a bad count or a stale revision is refused.
func TestAPIReleaseCommits(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.4.2","type":"feature"}`, 201)
	ta.problem(ta.do("aud", "GET", "/api/v1/releases/REL-1/commits", ""), 404, "")
	ta.problem(ta.do("aud", "POST", "/api/v1/releases/REL-1/commits", `{"from":"v1.4.1","to":"HEAD","commits":3}`), 403, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/commits", `{"from":"v1.4.1","to":"HEAD","commits":-2}`), 400, "commits")
	ta.problem(ta.do("bot", "POST", "/api/v1/releases/REL-1/commits", `{"from":"v1.4.1","to":"HEAD","commits":3,"revision":5}`), 412, "")
	n0 := ta.auditCount()
	r := ta.must("bot", "POST", "/api/v1/releases/REL-1/commits", `{"from":"v1.4.1","to":"HEAD","commits":3,"revision":1}`, 200)
	if r["commits"] != float64(3) || r["from"] != "v1.4.1" || r["revision"] != float64(2) || ta.auditCount() != n0+1 {
		t.Fatalf("record: %v", r)
	}
	if r := ta.must("aud", "GET", "/api/v1/releases/REL-1/commits", "", 200); r["to"] != "HEAD" || r["commits"] != float64(3) ||
		r["release"] != "REL-1" {
		t.Fatalf("read back: %v", r)
	}
}

package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// evidenceScenario: PRB-1 (title with markup) with an RCA document
// uploaded and named by its RCA; REL-1 resolves it and so carries the
// document; a build log is attached to it.
func evidenceScenario(tw *testWeb) (doc, log string) {
	tw.t.Helper()
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Totals <script>alert(1)</script> off","priority":2,"cis":["checkout-api"]}`, 201)
	doc = tw.upload("eng", "rca-prb-1.md", "", "# RCA\nrounding")
	tw.apiCall("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"rounding <b>twice</b>","doc_sha256":"`+doc+`"}`, 200)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"problem-fix","title":"Round once","resolves":["PRB-1"]}`, 201)
	log = tw.upload("eng", "build.log", "ephemeral", "build ok")
	tw.apiCall("rm", "POST", "/api/v1/releases/REL-1/artifacts", `{"sha256":"`+log+`","kind":"test_report"}`, 200)
	return doc, log
}

// TestReleaseEvidenceAndNotes: the release page renders the generated
// notes as HTML with every value escaped, lists the RCA document as the
// evidence of its problem and each artifact with its retention class and a
// verified download link, and shows the git tag once recorded.
func TestReleaseEvidenceAndNotes(t *testing.T) {
	tw := newTestWeb(t)
	doc, log := evidenceScenario(tw)
	p := tw.user("aud").get("/releases/REL-1")
	wantAll(t, "release page", p, 200, "<caption>Resolved problems</caption>", "Totals &lt;script&gt;alert(1)&lt;/script&gt; off",
		"rounding &lt;b&gt;twice&lt;/b&gt;", "RCA document of <a href=\"/problems/PRB-1\">PRB-1</a>", `href="/artifacts/`+doc+`"`,
		`href="/artifacts/`+log+`"`, "regulated: until", "not on legal hold", "not tagged yet")
	wantNone(t, "release page", p, "<script>alert(1)", "<b>twice</b>", `action="/releases/REL-1/hold"`)
	rel := tw.apiCall("rm", "GET", "/api/v1/releases/REL-1", "", 200)
	rev := rel[strings.Index(rel, `"revision":`)+len(`"revision":`):]
	rev = rev[:strings.IndexAny(rev, ",}")]
	commit := strings.Repeat("ab", 20)
	tw.apiCall("rm", "POST", "/api/v1/releases/REL-1/tag", `{"tag":"v1.0.1","commit":"`+commit+`","revision":`+rev+`}`, 200)
	wantAll(t, "tagged", tw.user("aud").get("/releases/REL-1"), 200, "<code>v1.0.1</code>", commit)
}

// TestReleaseLegalHold: a release manager places and lifts a release's
// legal hold with a reason at the revision the page showed (audited), a
// stale form answers 412 with what changed and keeps the reason, a blank
// reason is refused naming it, and an engineer gets no form and a 403.
func TestReleaseLegalHold(t *testing.T) {
	tw := newTestWeb(t)
	evidenceScenario(tw)
	rm := tw.user("rm")
	p := rm.get("/releases/REL-1")
	m := regexp.MustCompile(`action="/releases/REL-1/hold"[^>]*>\s*<input type="hidden" name="revision" value="(\d+)"`).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no hold form with a revision: %q", between(p.body, `id="hold"`, "</form>"))
	}
	rev := m[1]
	n, err := strconv.Atoi(rev)
	if err != nil {
		t.Fatalf("no hold form with a revision: %q", between(p.body, `id="hold"`, "</form>"))
	}
	wantAll(t, "blank reason", rm.post("/releases/REL-1/hold", url.Values{"reason": {" "}, "revision": {rev}}), http.StatusBadRequest, "reason:")
	res := rm.post("/releases/REL-1/hold", url.Values{"reason": {"regulator's audit"}, "revision": {rev}})
	if res.status != http.StatusSeeOther || tw.lastEvent("release", "REL-1") != "release.hold by rm" {
		t.Fatalf("hold: %d %s", res.status, res.body)
	}
	held := rm.get("/releases/REL-1")
	wantAll(t, "held", held, 200, "regulator&#39;s audit", `action="/releases/REL-1/unhold"`, `value="`+strconv.Itoa(n+1)+`"`)
	stale := rm.post("/releases/REL-1/unhold", url.Values{"reason": {"audit closed"}, "revision": {rev}})
	wantAll(t, "stale unhold", stale, http.StatusPreconditionFailed, "changed since the page was loaded", "release.hold by rm", "audit closed")
	wantAll(t, "holds in force", tw.user("aud").get("/artifacts"), 200, `href="/releases/REL-1#evidence"`, "regulator&#39;s audit")

	eng := tw.user("eng")
	wantNone(t, "release page as an engineer", eng.get("/releases/REL-1"), `action="/releases/REL-1/unhold"`)
	d0 := tw.denials("eng")
	if p := eng.post("/releases/REL-1/unhold", url.Values{"reason": {"x"}, "revision": {strconv.Itoa(n + 1)}}); p.status != http.StatusForbidden || tw.denials("eng") != d0+1 {
		t.Fatalf("an engineer lifts a hold: %d", p.status)
	}
	if p := rm.post("/releases/REL-1/unhold", url.Values{"reason": {"audit closed"}, "revision": {strconv.Itoa(n + 1)}}); p.status != http.StatusSeeOther ||
		tw.lastEvent("release", "REL-1") != "release.unhold by rm" {
		t.Fatalf("unhold: %d %s", p.status, p.body)
	}
}

package web

// Flows through the pages (issue 12), in Chromium:
// approving a release from its page, the separation-of-duties explanation
// and refusal, a blocked gate's reasons, rolling back a deployment, and
// the known-error search.
//
// What they rely on in the pages (besides the routes):
//   - GET /releases/{id} has, for a person who may approve, a
//     form[action$="/releases/REL-1/approve"] with a control whose <label>
//     starts with "Comment" and one submit button; for one who may not, no
//     such form and the domain's reason (approval.CheckSoD's message) in
//     <main>; the gate verdict for prod-eu shows the word "blocked" and each
//     failing rule's reason as the gate gives it.
//   - POST /releases/{id}/approve takes the fields comment and revision and
//     redirects (303) back to the release with a role="status" flash; a
//     refusal answers 403 with the reason on the page.
//   - GET /deployments/{id} has one form.command with a "Comment" control and a "Roll DEP-2 back" button (formaction …/rollback)
//     with a control labelled "Comment…" and one submit button.
//   - GET /known-errors has a search form with an input named q (labelled);
//     each result shows the title and workaround and links /problems/PRB-n.

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"fixgate/internal/approval"
	"fixgate/internal/fault"
)

const approveForm = `form[action$="/releases/REL-1/approve"]`

// TestBrowserFlowCABApprovesRelease: a CAB member approves REL-1 from its
// page with a comment; the approval is recorded with it.
func TestBrowserFlowCABApprovesRelease(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	c := newChrome(t, tw)
	c.signIn("cab")
	if st := c.visit("/releases/REL-1"); st != 200 {
		t.Fatalf("GET /releases/REL-1: %d", st)
	}
	c.checkPage("release, as a CAB member")
	c.fillIn(approveForm, "Comment", "rollback plan read; fine by the CAB")
	if st := c.submitForm(approveForm); st != 200 || !strings.HasPrefix(c.path(), "/releases/REL-1") || c.text(`[role="status"]`) == "" {
		t.Fatalf("approve: %d at %s, flash %q, error %q", st, c.path(), c.text(`[role="status"]`), c.text(`[role="alert"]`))
	}
	c.checkPage("release approved")
	var list struct {
		Items []approval.Approval `json:"items"`
	}
	if err := json.Unmarshal([]byte(tw.apiCall("aud", "GET", "/api/v1/approvals?record=REL-1", "", 200)), &list); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range list.Items {
		found = found || (a.Approver == "cab" && a.Decision == "approve" && a.Comment == "rollback plan read; fine by the CAB")
	}
	if !found {
		t.Fatalf("the approval is not recorded: %+v", list.Items)
	}
}

// TestBrowserFlowCreatorSeesSeparationOfDuties: REL-1's creator (rm) and
// the author of the RCA of the problem it resolves (eng) see the domain's
// reason instead of the approve form; rm's forced POST is refused 403,
// shown, and audited.
func TestBrowserFlowCreatorSeesSeparationOfDuties(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	c := newChrome(t, tw)
	facts := approval.SoDFacts{Record: "REL-1", ReleaseID: "REL-1", ReleaseCreator: "rm",
		Problems: []approval.ProblemFacts{{ID: "PRB-1", RCAAuthor: "eng"}}}
	for _, user := range []string{"eng", "rm"} {
		c.signIn(user)
		if st := c.visit("/releases/REL-1"); st != 200 {
			t.Fatalf("GET /releases/REL-1 as %s: %d", user, st)
		}
		reason := fault.As(approval.CheckSoD(user, facts)).Message
		if evalJS[bool](c, `!!document.querySelector(`+jsString(approveForm)+`)`) || !strings.Contains(c.text("main"), reason) {
			t.Fatalf("%s sees the approve form, or not the reason %q: %s", user, reason, c.text("main"))
		}
		c.checkPage("release, as " + user)
	}
	var rel struct {
		Revision int64 `json:"revision"`
	}
	json.Unmarshal([]byte(tw.apiCall("rm", "GET", "/api/v1/releases/REL-1", "", 200)), &rel)
	forced := `(() => { const f = document.createElement("form"); f.method = "post"; f.action = "/releases/REL-1/approve";
		for (const [k, v] of [["comment", "my own release"], ["revision", "` + jsonNumber(rel.Revision) + `"]]) {
			const i = document.createElement("input"); i.type = "hidden"; i.name = k; i.value = v; f.append(i); }
		document.body.append(f); f.submit(); })()`
	if st := c.submit("forced approve", chromedp.Evaluate[chromedp.Void](forced)); st != 403 || !strings.Contains(c.text("main"), "separation of duties") {
		t.Fatalf("forced approval by the creator: %d: %s", st, c.text("main"))
	}
	c.checkPage("forced approval refused")
	evs, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /releases/REL-1/approve", 10)
	if err != nil || len(evs) != 1 || !strings.Contains(string(evs[0].After), "separation_of_duties") {
		t.Fatalf("the refusal is not audited: %+v %v", evs, err)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestBrowserFlowBlockedGateReasons: REL-1's page shows that the gate
// blocks it in prod-eu, with the reason of each failing rule (the rules
// GATE-1, DEP-1's evaluation, failed).
func TestBrowserFlowBlockedGateReasons(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	var ev struct {
		Verdict struct {
			Rules []struct{ Rule, Result, Reason string } `json:"rules"`
		} `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(tw.apiCall("aud", "GET", "/api/v1/gates/evaluations/GATE-1", "", 200)), &ev); err != nil {
		t.Fatal(err)
	}
	c := newChrome(t, tw)
	c.signIn("aud")
	if st := c.visit("/releases/REL-1"); st != 200 {
		t.Fatalf("GET /releases/REL-1: %d", st)
	}
	main := c.text("main")
	if !strings.Contains(strings.ToLower(main), "blocked") {
		t.Fatalf("the release page does not say the gate blocks it: %s", main)
	}
	failing := 0
	for _, r := range ev.Verdict.Rules {
		if r.Result == "fail" {
			failing++
			if !strings.Contains(main, r.Reason) {
				t.Errorf("rule %s fails (%q), not shown", r.Rule, r.Reason)
			}
		}
	}
	if failing == 0 {
		t.Fatal("GATE-1 has no failing rule: the test data changed")
	}
	c.checkPage("release, blocked gate")
}

// TestBrowserFlowRollBackDeployment: a release manager rolls DEP-2 back
// from its page with a comment: it is rolling back, the comment in its log.
func TestBrowserFlowRollBackDeployment(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	c := newChrome(t, tw)
	c.signIn("rm")
	if st := c.visit("/deployments/DEP-2"); st != 200 {
		t.Fatalf("GET /deployments/DEP-2: %d", st)
	}
	const form = `form.command` // one form; each command is a button with its own formaction
	c.fillIn(form, "Comment", "error budget burning")
	if st := c.press(form, "Roll DEP-2 back"); st != 200 || !strings.HasPrefix(c.path(), "/deployments/DEP-2") {
		t.Fatalf("roll back: %d at %s: %s", st, c.path(), c.text(`[role="alert"]`))
	}
	c.checkPage("deployment rolling back")
	log := tw.apiCall("aud", "GET", "/api/v1/deployments/DEP-2/log", "", 200)
	if !strings.Contains(log, `"status":"rolling_back"`) || !strings.Contains(log, "error budget burning") {
		t.Fatalf("DEP-2 is not rolling back with the comment: %s", log)
	}
}

// TestBrowserFlowSearchKnownError: a responder finds KE-1's workaround by
// a word of its title, and by its label; another word finds nothing.
func TestBrowserFlowSearchKnownError(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	c := newChrome(t, tw)
	c.signIn("eng")
	if st := c.visit("/known-errors"); st != 200 {
		t.Fatalf("GET /known-errors: %d", st)
	}
	search := func(q string) string {
		evalJS[chromedp.Void](c, `document.querySelector('main form input[name="q"]').value = ""`)
		if st := c.submit("search "+q, chromedp.SendKeys(chromedp.CSS(`main form input[name="q"]`), q+kb.Enter)); st != 200 {
			t.Fatalf("search %q: %d", q, st)
		}
		return c.text("main")
	}
	found := search("pool")
	if !strings.Contains(found, "Checkout connection pool exhaustion") || !strings.Contains(found, "restart the checkout pods") ||
		!evalJS[bool](c, `!!document.querySelector('main a[href="/problems/PRB-1"]')`) {
		t.Fatalf("search for pool: %s", found)
	}
	c.checkPage("known errors, found")
	if other := search("no-such-symptom"); strings.Contains(other, "Checkout connection pool exhaustion") {
		t.Fatalf("search for another word shows KE-1: %s", other)
	}
	c.visit("/known-errors?label=ci%3Dcheckout-api")
	if !strings.Contains(c.text("main"), "restart the checkout pods") {
		t.Fatalf("search by label: %s", c.text("main"))
	}
}

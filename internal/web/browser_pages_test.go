package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/deploy"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"

	"gopkg.in/yaml.v3"
)

// browserTestData makes, through the API, one record of each kind the pages
// show: PRB-1 (in RCA, with INC-1 and INC-2 and an RCA not yet validated),
// KE-1 (published, with a workaround), REL-1 (resolving PRB-1, created by
// rm, approved by cab2 as APR-1), CHG-1 (its change), CAB-1 (a meeting),
// DEP-1 (REL-1 into prod-eu blocked by the built-in policy's gate, GATE-1,
// reported driver), DEP-2 (running at its canary stage, reported driver,
// started through the gate under an open policy), ASSESS-1 (the
// controls over this year, assessed by aud) and CHG-2 (a checklist, one
// item ticked by eng).
func browserTestData(tw *testWeb) {
	tw.t.Helper()
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s on empty carts","priority":2,"cis":["checkout-api"],"environments":["prod-eu"]}`, 201)
	for _, title := range []string{"checkout 500s", "checkout 500s again"} {
		tw.apiCall("eng", "POST", "/api/v1/incidents", `{"title":"`+title+`","ci":"checkout-api","env":"prod-eu","severity":2,"problem":"PRB-1"}`, 201)
	}
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"assess"}`, 200)
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"rca"}`, 200)
	tw.apiCall("eng", "POST", "/api/v1/artifacts?name=rca-prb-1.md&kind=rca&retention_class=regulated", browserRCADoc, 201)
	tw.apiCall("eng", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"nil map on empty cart","doc_sha256":"`+browserRCASHA+`"}`, 200)
	tw.apiCall("pm", "POST", "/api/v1/known-errors", `{"title":"Checkout connection pool exhaustion","problem":"PRB-1",`+
		`"labels":{"ci":"checkout-api"},"symptoms":"timeouts on checkout","workaround":"restart the checkout pods"}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/known-errors/KE-1/transitions", `{"to":"published"}`, 200)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"]}`, 201)
	tw.apiCall("cab2", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","comment":"peer review"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"Deploy 1.4.3","type":"normal","release":"REL-1","env":"prod-eu"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/cab/meetings", `{"title":"weekly CAB","scheduled_at":"2026-12-01T14:00:00Z","attendees":["cab","cab2"]}`, 201)
	tw.apiCall("bot", "POST", "/api/v1/deployments/start", `{"release":"REL-1","env":"prod-eu","driver":"reported"}`, 201)
	browserStartRunning(tw)
	browserStorePolicy(tw)
	tw.apiCall("pm", "POST", "/api/v1/cycles", `{"name":"train-2026-12","starts_at":"2026-12-01T00:00:00Z","ends_at":"2027-01-01T00:00:00Z","envs":["prod-eu"]}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/cycles/CYC-1/problems", `{"problem":"PRB-1","revision":1}`, 200)
	tw.apiCall("aud", "POST", "/api/v1/reports/controls", `{"period":"`+tw.store.Now().UTC().Format("2006")+`"}`, 201) // ASSESS-1
	tw.apiCall("rm", "POST", "/api/v1/changes", `{"title":"Raise the pool size","type":"standard","env":"prod-eu","change_model":"config-correction"}`, 201)
	tw.apiCall("eng", "POST", "/api/v1/changes/CHG-2/checklist", `{"item":"diff of the configuration attached","ticked":true,"evidence":"https://git.example/diff/42","revision":1}`, 200)
}

// browserRCADoc is PRB-1's RCA document (browserRCASHA its digest), attached to REL-1 as evidence.
const (
	browserRCADoc = "# RCA of PRB-1\n\nA nil map on an empty cart.\n"
	browserRCASHA = "e1044817249d54505832a13fbb39d16086b7dd46ca125d1ad31ddb50d7bfec93"
)

// browserStorePolicy stores the built-in policy as version 1 (the policy
// pages list stored versions).
func browserStorePolicy(tw *testWeb) {
	tw.t.Helper()
	b, err := yaml.Marshal(policy.Default())
	if err != nil {
		tw.t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", tw.http.URL+"/api/v1/policy", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tw.tokens["admin"])
	req.Header.Set("Content-Type", "application/yaml")
	res, err := tw.http.Client().Do(req)
	if err != nil {
		tw.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		tw.t.Fatalf("store the policy: %s", res.Status)
	}
}

// browserStartRunning starts DEP-2, REL-1 into prod-eu in two stages with the
// built-in driver "reported" (the report is judged under the policy in
// force, the built-in one, which has no "pipe"), through the gate under
// storetest.OpenPolicy, and reports its canary stage deployed: it runs,
// watched, at stage 0.
func browserStartRunning(tw *testWeb) {
	tw.t.Helper()
	ctx, rm := context.Background(), audit.Actor{User: "rm", Role: "release_manager", RequestID: "test"}
	d, _, err := tw.store.StartDeployment(ctx, rm, store.StartRequest{Release: "REL-1", Env: "prod-eu", Driver: "reported",
		Stages: []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}}, storetest.OpenPolicy(), 0)
	if err != nil || d.ID != "DEP-2" || d.Status != deploy.Running {
		tw.t.Fatalf("start DEP-2: %+v %v", d, err)
	}
	if _, err := tw.store.ReportStage(ctx, rm, 2, "canary", rollout.ActionSucceeded, "canary pods ready"); err != nil {
		tw.t.Fatal(err)
	}
}

// browserPageIDs gives, for the path segment before a wildcard ("/releases/{id}"),
// the ids of browserTestData's records to put there. A declared GET page
// whose wildcard follows a segment not listed here fails the test: add its
// record to browserTestData and its id here.
var browserPageIDs = map[string][]string{
	"problems": {"PRB-1"}, "incidents": {"INC-1"}, "known-errors": {"KE-1"}, "releases": {"REL-1"},
	"changes": {"CHG-1", "CHG-2"}, "deployments": {"DEP-1", "DEP-2"}, "approvals": {"APR-1"}, "meetings": {"CAB-1"},
	"cab": {"CAB-1"}, "evaluations": {"GATE-1"}, "gates": {"GATE-1"}, "versions": {"1"}, "cycles": {"CYC-1"},
	"users": {"pm"}, "cis": {"checkout-api"}, "environments": {"prod-eu"}, "controls": {"ASSESS-1"},
}

// browserPageQueries lists the queries to visit a page with besides none.
var browserPageQueries = map[string][]string{
	"GET /known-errors":                     {"?q=pool", "?label=ci%3Dcheckout-api"},
	"GET /problems/{id}/signatures/preview": {"?matcher=%7Bservice%3D%22checkout-api%22%7D"},
	"GET /release-plan":                     {"?resolves=PRB-1"},
	"GET /cycles/plan":                      {"?cycle=CYC-1"},
	"GET /artifacts":                        {"?sha256=" + browserRCASHA},
	"GET /reports/patterns":                 {"?dim=environment&key=prod-eu"}, // page_report_patterns.go: a drill-down
}

// browserPageStatus is the status a GET page answers in this test when not 200.
var browserPageStatus = map[string]int{
	"GET /oidc/login":    404, // single sign-on is not configured here
	"GET /oidc/callback": 404,
}

var browserWildcard = regexp.MustCompile(`\{([A-Za-z0-9_]+)(\.\.\.)?\}`)

// browserPagePaths returns the paths to visit for a GET pattern's path: each
// wildcard replaced by browserPageIDs' ids (all of them for the last wildcard,
// the first for the others), "/{$}" by "/", each with browserPageQueries.
func browserPagePaths(pattern string) ([]string, error) {
	path := strings.Replace(strings.TrimPrefix(pattern, "GET "), "{$}", "", 1)
	paths := []string{path}
	locs := browserWildcard.FindAllStringIndex(path, -1)
	for i := len(locs) - 1; i >= 0; i-- {
		segs := strings.Split(strings.TrimSuffix(path[:locs[i][0]], "/"), "/")
		ids := browserPageIDs[segs[len(segs)-1]]
		if len(ids) == 0 {
			return nil, fmt.Errorf("no test id for %s after /%s/: add one to browserPageIDs and its record to browserTestData",
				path[locs[i][0]:locs[i][1]], segs[len(segs)-1])
		}
		if i < len(locs)-1 {
			ids = ids[:1]
		}
		var next []string
		for _, p := range paths {
			for _, id := range ids {
				next = append(next, p[:locs[i][0]]+id+p[locs[i][1]:])
			}
		}
		paths = next
	}
	for _, p := range slices.Clone(paths) {
		for _, q := range browserPageQueries[pattern] {
			paths = append(paths, p+q)
		}
	}
	return paths, nil
}

// browserVisitor picks the test user who opens page p: admin when it may,
// else the first user with one of p's roles ("" for a public page).
func browserVisitor(p page) string {
	if p.public {
		return ""
	}
	for _, u := range []struct {
		name string
		role auth.Role
	}{{"admin", auth.Admin}, {"aud", auth.Auditor}, {"pm", auth.ProblemManager}, {"rm", auth.ReleaseManager},
		{"cab", auth.CABMember}, {"eng", auth.Engineer}, {"val", auth.Validator}} {
		if slices.Contains(p.roles, u.role) {
			return u.name
		}
	}
	return "none"
}

// TestEveryPageAccessible opens every GET page declarePages declares, in
// Chromium, with browserTestData's records in the wildcards, as a user who
// may see it: each answers its status (200 unless browserPageStatus says
// otherwise), passes axe (no serious or critical violation) with no CSP
// violation or script error, and is screenshotted. Public pages are opened
// signed out. Pages declared later are covered without changing this test;
// one whose wildcard has no test record fails it.
func TestEveryPageAccessible(t *testing.T) {
	tw := newTestWeb(t)
	browserTestData(tw)
	c := newChrome(t, tw)
	pages := slices.Clone(tw.web.pages)
	slices.SortStableFunc(pages, func(a, b page) int { return strings.Compare(browserVisitor(a), browserVisitor(b)) })
	signedInAs, visited := "", 0
	for _, p := range pages {
		if !strings.HasPrefix(p.pattern, "GET ") || p.file {
			continue // downloads are files, not pages
		}
		paths, err := browserPagePaths(p.pattern)
		if err != nil {
			t.Errorf("%s: %v", p.pattern, err)
			continue
		}
		if user := browserVisitor(p); user != signedInAs {
			if user == "none" {
				t.Errorf("%s: no test user has one of its roles %v", p.pattern, p.roles)
				continue
			}
			c.signIn(user)
			signedInAs = user
		}
		for _, path := range paths {
			want := browserPageStatus[p.pattern]
			if want == 0 {
				want = 200
			}
			if st := c.visit(path); st != want {
				t.Errorf("%s as %q: %d, want %d", path, signedInAs, st, want)
				continue
			}
			c.checkPage(path)
			visited++
		}
	}
	t.Logf("%d pages opened, screenshots in %s", visited, c.shots)
}

// TestBrowserPagePaths: wildcards take browserPageIDs' ids (all for the last one), "/{$}"
// is "/", queries are added, and a wildcard with no test id is an error
// naming the segment.
func TestBrowserPagePaths(t *testing.T) {
	for pattern, want := range map[string][]string{
		"GET /{$}":                             {"/"},
		"GET /deployments/{id}":                {"/deployments/DEP-1", "/deployments/DEP-2"},
		"GET /problems/{id}/signatures/{sig}":  nil,
		"GET /releases/{id}/approvals/{appr}":  {"/releases/REL-1/approvals/APR-1"},
		"GET /deployments/{id}/changes/{c...}": {"/deployments/DEP-1/changes/CHG-1", "/deployments/DEP-1/changes/CHG-2"},
		"GET /known-errors":                    {"/known-errors", "/known-errors?q=pool", "/known-errors?label=ci%3Dcheckout-api"},
	} {
		got, err := browserPagePaths(pattern)
		if want == nil {
			if err == nil || !strings.Contains(err.Error(), "/signatures/") {
				t.Errorf("%s: %v %v, want an error naming /signatures/", pattern, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", pattern, got, err, want)
		}
	}
}

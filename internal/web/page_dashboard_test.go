package web

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/deploy"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var testPipe = audit.Actor{User: "bot", Role: "pipeline", RequestID: "test"}

// resolvedProblem creates problem PRB-n (priority 2) through the API and
// takes it to resolved: RCA by eng validated by pm, fix in progress, then
// resolved by hand with a deviation approved by pm2.
func resolvedProblem(tw *testWeb, n, title string) {
	tw.t.Helper()
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"`+title+`","priority":2}`, 201)
	path := "/api/v1/problems/PRB-" + n
	tw.apiCall("pm", "POST", path+"/transitions", `{"to":"assess"}`, 200)
	tw.apiCall("pm", "POST", path+"/transitions", `{"to":"rca"}`, 200)
	tw.apiCall("eng", "PUT", path+"/rca", `{"category":"code_defect","summary":"a bug"}`, 200)
	tw.apiCall("pm", "POST", path+"/rca/validations", `{"comment":"agreed"}`, 200)
	tw.apiCall("pm", "POST", path+"/transitions", `{"to":"fix_in_progress"}`, 200)
	tw.apiCall("pm", "POST", path+"/transitions", `{"to":"resolved","deviation":{"reason":"hotfix by hand","approved_by":"pm2"}}`, 200)
}

// TestDashboardShowsEachSection builds one record for each section of the
// dashboard and checks that each appears where it belongs.
func TestDashboardShowsEachSection(t *testing.T) {
	tw := newTestWeb(t)
	ctx := context.Background()
	if _, _, err := tw.store.CreateUser(ctx, audit.System("test"), auth.User{Name: "pm2", Roles: []auth.Role{auth.ProblemManager}}); err != nil {
		t.Fatal(err)
	}
	empty := tw.user("aud").get("/")
	wantAll(t, "empty dashboard", empty, 200, "No problem is under observation.", "No deployment is blocked.", "No recurrence since")

	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Urgent open one","priority":1}`, 201) // PRB-1
	resolvedProblem(tw, "2", "Observed one")                                                      // PRB-2
	resolvedProblem(tw, "3", "Recurring one")                                                     // PRB-3
	tw.apiCall("pm", "POST", "/api/v1/problems/PRB-3/signatures", `{"matcher":"{alertname=\"CartDown\"}"}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"cart down again","ci":"checkout-api","env":"prod-eu","severity":2,
		"labels":{"alertname":"CartDown"}}`, 201)

	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"2.0.0","type":"feature"}`, 201) // REL-1: approved, then deploying
	tw.apiCall("eng", "POST", "/api/v1/approvals", `{"record":"REL-1","decision":"approve","comment":"peer review"}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/releases/REL-1/transitions", `{"to":"approved"}`, 200)
	d, _, err := tw.store.StartDeployment(ctx, testPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Driver: "shell",
		Stages: []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}}, storetest.OpenPolicy(), 0)
	if err != nil || d.Status != deploy.Running {
		t.Fatalf("start: %+v %v", d, err)
	}
	if err := tw.store.RecordMeasurement(ctx, audit.System("engine"), analysis.Measurement{Deployment: d.ID, Stage: "canary",
		Template: "errors", Check: "error-rate", Kind: "prometheus", Outcome: analysis.Failed}); err != nil {
		t.Fatal(err)
	}
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"2.1.0","type":"feature"}`, 201) // REL-2: blocked by the approvals rule
	strict := storetest.OpenPolicy()
	strict.Gate.Rules.Approvals = policy.Switch{Enabled: true, Severity: policy.Fail}
	b, _, err := tw.store.StartDeployment(ctx, testPipe, store.StartRequest{Release: "REL-2", Env: "prod-eu", Driver: "shell",
		Stages: []deploy.Stage{{Name: "full", Weight: 100}}}, strict, 0)
	if err != nil || b.Status != deploy.Blocked {
		t.Fatalf("blocked start: %+v %v", b, err)
	}
	tw.clock.Advance(36 * time.Hour)

	p := tw.user("aud").get("/")
	wantAll(t, "dashboard", p, 200,
		`<a href="/problems/PRB-1">PRB-1</a> Urgent open one`,                   // open, P1
		`<a href="/problems/PRB-2">PRB-2</a> Observed one</th>`, "13 days left", // observation (P2: 14 days)
		`<a href="/releases/REL-1">REL-1</a>`, "deploying", // in flight
		`<a href="/deployments/`+d.ID+`">`, "canary (1 of 2, 10 %)", "error-rate (prometheus)", `<span class="badge bad">failed</span>`, // live
		`<a href="/deployments/`+b.ID+`">`, `<span class="badge bad">approvals</span>`, // blocked
		`<a href="/problems/PRB-3">PRB-3</a> Recurring one`, "1 resolved problem(s) reopened by a recurrence") // recurrence
	wantNone(t, "dashboard", p, "No problem is under observation.", "No deployment is blocked.", "No recurrence since")
}

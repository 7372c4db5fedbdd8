package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// patternsWebData makes two problem-fix deployments into prod-eu: DEP-1
// (REL-1, fixing PRB-1, checkout-api@1.0.1) failed, its review PIR-1 tagged
// testing_gap; DEP-2 (REL-2, fixing PRB-1, no component) succeeded.
func patternsWebData(tw *testWeb) {
	tw.t.Helper()
	ctx, bot := context.Background(), audit.Actor{User: "bot", Role: "pipeline", RequestID: "test"}
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"]}`, 201)
	if _, err := tw.store.CreateComponent(ctx, bot, ci.Version{CI: "checkout-api", Version: "1.0.1"}); err != nil {
		tw.t.Fatal(err)
	}
	for _, r := range []release.Release{{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}, Components: []string{"checkout-api@1.0.1"}},
		{Version: "1.0.2", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}} {
		if _, err := tw.store.CreateRelease(ctx, bot, r); err != nil {
			tw.t.Fatal(err)
		}
	}
	tw.apiCall("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","release":"REL-1","finding_tags":["testing_gap"]}`, 201)
	for i, end := range []string{deploy.Failed, deploy.Succeeded} {
		d, _, err := tw.store.StartDeployment(ctx, bot, store.StartRequest{Release: "REL-" + string(rune('1'+i)), Env: "prod-eu",
			Driver: "shell"}, storetest.OpenPolicy(), 0)
		if err != nil || d.Status != deploy.Running {
			tw.t.Fatalf("start: %+v %v", d, err)
		}
		id := int64(i + 1)
		if _, err := tw.store.BeginAction(ctx, bot, id, 1); err != nil {
			tw.t.Fatal(err)
		}
		if _, err := tw.store.FinishAction(ctx, bot, id, 1, "", "ok"); err != nil {
			tw.t.Fatal(err)
		}
		if end == deploy.Failed {
			_, err = tw.store.MoveDeployment(ctx, bot, id, 0, deploy.Failed, "smoke test failed")
		} else {
			_, err = tw.store.SucceedDeployment(ctx, bot, id, 0, tw.clock.T.Add(time.Hour))
		}
		if err != nil {
			tw.t.Fatal(err)
		}
	}
}

// TestPatternsPage: a reader sees the buckets with their numbers linking
// to the deployments behind them, the bars, the recommendations ("not
// enough" here) and the CSV link; the drill-down lists the failed
// deployments of a bucket; the CSV is the report's (the CLI's rows); a bad
// period or dimension is shown on the page; a pipeline may not read it.
func TestPatternsPage(t *testing.T) {
	tw := newTestWeb(t)
	patternsWebData(tw)
	aud := tw.user("aud")
	p := aud.get("/reports/patterns")
	wantAll(t, "patterns", p, 200, "Failure patterns of problem fixes", `id="dim-finding_tag"`, "<th scope=\"row\">testing_gap</th>",
		`href="/reports/patterns?dim=finding_tag&amp;key=testing_gap&amp;only=failed&amp;since=90d#drill">1</a>`,
		`href="/reports/patterns?dim=environment&amp;key=prod-eu&amp;since=90d#drill">2</a>`, "50 %",
		`<rect x="0" y="0" width="60.0" height="12" fill="#a40e26"/>`, "not enough deployments to recommend",
		`href="/reports/patterns?format=csv&amp;since=90d"`, "Release frequency: problem-fix releases per CI per 30 days",
		`<th scope="row">&gt;4</th>
    <td>0</td>`) // a count of 0 links to nothing

	failed := aud.get("/reports/patterns?since=90d&dim=finding_tag&key=testing_gap&only=failed")
	wantAll(t, "drill-down failed", failed, 200, `id="drill"`, `href="/deployments/DEP-1"`, "failed", "all deployments of this bucket")
	wantNone(t, "drill-down failed", failed, `href="/deployments/DEP-2"`)
	wantAll(t, "drill-down all", aud.get("/reports/patterns?dim=components&key=0"), 200, `href="/deployments/DEP-2"`)

	csv := aud.get("/reports/patterns?since=90d&format=csv")
	rep, err := tw.store.PatternsReport(context.Background(), 90*24*time.Hour, "", "")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	rep.WriteCSV(&want)
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || csv.body != want.String() ||
		!strings.Contains(csv.body, "failure,finding_tag,testing_gap,1,1,1,DEP-1\n") {
		t.Fatalf("csv: %d %s %q", csv.status, csv.header.Get("Content-Type"), csv.body)
	}

	wantAll(t, "nothing matches", aud.get("/reports/patterns?env=nowhere"), 200, "No problem-fix deployment in the period.")
	wantAll(t, "bad period", aud.get("/reports/patterns?since=soon"), http.StatusBadRequest, `role="alert"`, "since: ", `aria-invalid="true"`)
	wantAll(t, "bad dimension", aud.get("/reports/patterns?dim=colour"), http.StatusBadRequest, "dim: unknown dimension")

	if _, err := tw.store.SetPassword(context.Background(), audit.System("test"), "bot", auth.HashPassword(testPassword), 0); err != nil {
		t.Fatal(err)
	}
	if p := tw.user("bot").get("/reports/patterns"); p.status != http.StatusForbidden {
		t.Fatalf("pipeline: %d", p.status)
	}
}

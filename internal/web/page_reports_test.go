package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// reportsData makes, through the API and the store's deployment steps, a
// history with known figures: PRB-1 fixed by REL-1 (problem-fix), DEP-1
// succeeded; REL-2 (feature) deployed as DEP-2, which failed.
func reportsTestData(tw *testWeb) {
	tw.t.Helper()
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2,"cis":["checkout-api"],"environments":["prod-eu"]}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.4.3","type":"problem-fix","resolves":["PRB-1"]}`, 201)
	tw.apiCall("rm", "POST", "/api/v1/releases", `{"version":"1.5.0","type":"feature"}`, 201)
	ctx, rm := context.Background(), audit.Actor{User: "rm", Role: "release_manager", RequestID: "test"}
	engine := audit.Actor{User: "fixgate-engine", Role: "system", RequestID: "test"}
	for i, rel := range []string{"REL-1", "REL-2"} {
		d, _, err := tw.store.StartDeployment(ctx, rm, store.StartRequest{Release: rel, Env: "prod-eu", Driver: rollout.ReportedDriver,
			Stages: []deploy.Stage{{Name: "full", Weight: 100}}}, storetest.OpenPolicy(), 0)
		if err != nil || d.Status != deploy.Running {
			tw.t.Fatalf("start %s: %+v %v", rel, d, err)
		}
		id := int64(i + 1)
		if rel == "REL-2" {
			if _, err := tw.store.MoveDeployment(ctx, rm, id, 0, deploy.Failed, "pods crash"); err != nil {
				tw.t.Fatal(err)
			}
			continue
		}
		if _, err := tw.store.ReportStage(ctx, rm, id, "full", rollout.ActionSucceeded, "deployed"); err != nil {
			tw.t.Fatal(err)
		}
		if _, err := tw.store.SucceedDeployment(ctx, engine, id, 0, tw.store.Now().Add(time.Hour)); err != nil {
			tw.t.Fatal(err)
		}
	}
}

// TestReportsPage: the KPI figures of the period (problem fixes against
// features) with their charts, the failed deployment linked from its
// count, the filters, and a period that does not parse shown on the page.
func TestReportsPage(t *testing.T) {
	tw := newTestWeb(t)
	reportsTestData(tw)
	pm := tw.user("pm")
	p := pm.get("/reports")
	wantAll(t, "reports", p, 200, `<a href="/reports">Reports</a>`, "Change failure rate: problem fixes against features",
		`<svg class="chart"`, `id="trend-t"`, `<a href="#failed-feature">1</a>`, `id="failed-feature"`, `<a href="/deployments/DEP-2">DEP-2</a>`,
		"Problem fixes</th>\n    <td>0</td><td>1</td><td>0 %</td>", "Features</th>\n    <td><a href=\"#failed-feature\">1</a></td><td>1</td><td>100 %</td>",
		"1 of 1 (100 %)", `href="/reports/patterns"`, `href="/reports?since=90d&amp;format=csv"`, "Incident MTTR")
	wantNone(t, "reports as pm", p, `href="/reports/controls"`, `/deployments/DEP-1"`)
	month := tw.store.Now().UTC().Format("2006-01")
	wantAll(t, "trend", p, 200, "<th scope=\"row\">"+month+"</th><td>0 of 1 (0 %)</td><td>1 of 1 (100 %)</td>", month+", features: 1 of 1 failed (100 %)")

	wantAll(t, "env that has nothing", pm.get("/reports?env=nowhere"), 200, "<td>0</td><td>0</td><td>no data</td>")
	wantNone(t, "env that has nothing", pm.get("/reports?env=nowhere"), "DEP-2")
	bad := pm.get("/reports?since=soon")
	wantAll(t, "bad since", bad, http.StatusBadRequest, `role="alert"`, "since: ", `aria-invalid="true"`)
	if aud := tw.user("aud").get("/reports"); !strings.Contains(aud.body, `href="/reports/controls"`) {
		t.Error("an auditor gets no link to the control assessments")
	}
}

// TestReportsExports: ?format=csv is `fixgate report kpi --output csv`
// (report.Rows); ?format=pdf is a PDF holding the same figures.
func TestReportsExports(t *testing.T) {
	tw := newTestWeb(t)
	reportsTestData(tw)
	eng := tw.user("eng")
	c := eng.get("/reports?since=30d&format=csv")
	if c.status != 200 || c.header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(c.body, "figure,key,count,total,value\n") ||
		!strings.Contains(c.body, "\nchange_failure_rate,problem_fix,0,1,0\n") || !strings.Contains(c.body, "\nchange_failure_rate,feature,1,1,1\n") ||
		!strings.Contains(c.body, "\nchange_failure_rate_by_month,"+tw.store.Now().UTC().Format("2006-01")+"/feature,1,1,1\n") {
		t.Fatalf("csv: %d %s\n%s", c.status, c.header, c.body)
	}
	pdf := eng.get("/reports?since=30d&format=pdf")
	if pdf.status != 200 || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") ||
		!strings.Contains(pdf.body, "(change_failure_rate)") || !strings.Contains(pdf.body, "(feature)") || !strings.Contains(pdf.body, "(KPI report)") {
		t.Fatalf("pdf: %d %s %.300q", pdf.status, pdf.header, pdf.body)
	}
	if bad := eng.get("/reports?format=xlsx"); bad.status != http.StatusBadRequest {
		t.Fatalf("format xlsx: %d", bad.status)
	}
}

// TestControlAssessmentsPages: an auditor assesses a period through the
// page (store.AssessControls, audited as theirs), sees each control with
// its exceptions linked to their records and gets the ISO/IEC 20000
// exports; a bad period is shown on the form; a problem manager may
// neither see nor assess (403, audited).
func TestControlAssessmentsPages(t *testing.T) {
	tw := newTestWeb(t)
	reportsTestData(tw)
	aud := tw.user("aud")
	wantAll(t, "no assessment yet", aud.get("/reports/controls"), 200, "No assessment is stored yet.", `action="/reports/controls"`)
	year := strconv.Itoa(tw.store.Now().UTC().Year())
	res := aud.post("/reports/controls", url.Values{"period": {year}})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/reports/controls/ASSESS-1?done=") {
		t.Fatalf("assess: %d %s", res.status, res.body)
	}
	evs, err := tw.store.AuditEventsFor(context.Background(), "assessment", "ASSESS-1", 10)
	if err != nil || len(evs) != 1 || evs[0].Action != "assessment.create" || evs[0].Actor != "aud" {
		t.Fatalf("audit: %+v %v", evs, err)
	}
	one := aud.get(res.header.Get("Location"))
	wantAll(t, "assessment", one, 200, "ASSESS-1: controls over "+year, "gate_and_change", "8.5.1", `id="c-gate_and_change"`,
		`<a href="/deployments/DEP-1">DEP-1</a>`, `href="/reports/controls/ASSESS-1?format=pdf"`, "assessed, ")
	wantAll(t, "list", aud.get("/reports/controls"), 200, `<a href="/reports/controls/ASSESS-1">ASSESS-1</a>`, "<td>"+year+"</td>", "<td>aud</td>")
	wantAll(t, "list of another period", aud.get("/reports/controls?period=1999"), 200, "No assessment is stored for 1999 yet.")

	md := aud.get("/reports/controls/ASSESS-1?format=md")
	if md.status != 200 || !strings.HasPrefix(md.header.Get("Content-Type"), "text/markdown") || !strings.Contains(md.body, "ASSESS-1") ||
		!strings.Contains(md.header.Get("Content-Disposition"), "ASSESS-1.md") {
		t.Fatalf("md export: %d %s %.200s", md.status, md.header, md.body)
	}
	if pdf := aud.get("/reports/controls/ASSESS-1?format=pdf"); pdf.status != 200 || !strings.HasPrefix(pdf.body, "%PDF-") {
		t.Fatalf("pdf export: %d", pdf.status)
	}
	bad := aud.post("/reports/controls", url.Values{"period": {"2026-Q5"}})
	wantAll(t, "bad period", bad, http.StatusBadRequest, "period: must be YYYY", `value="2026-Q5"`, `aria-invalid="true"`)

	pm := tw.user("pm")
	for _, r := range []page_{pm.get("/reports/controls"), pm.get("/reports/controls/ASSESS-1"), pm.post("/reports/controls", url.Values{"period": {year}})} {
		if r.status != http.StatusForbidden {
			t.Fatalf("as pm: %d", r.status)
		}
	}
	denied, err := tw.store.AuditEventsFor(context.Background(), "request", "POST /reports/controls", 10)
	if err != nil || len(denied) != 1 || denied[0].Action != "access.denied" || denied[0].Actor != "pm" {
		t.Fatalf("the refusal is not audited: %+v %v", denied, err)
	}
	if n, _ := tw.store.ListAssessments(context.Background(), "", 10); len(n) != 1 {
		t.Fatalf("%d assessments, want 1", len(n))
	}
}

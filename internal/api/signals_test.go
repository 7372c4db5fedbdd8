package api

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
)

// amBody is an Alertmanager notification with one alert, as Alertmanager sends it.
func amBody(status string, lbls map[string]string, starts, ends time.Time) string {
	end := "0001-01-01T00:00:00Z"
	if !ends.IsZero() {
		end = ends.Format(time.RFC3339Nano)
	}
	b, _ := json.Marshal(map[string]any{"version": "4", "groupKey": "{}:{alertname=\"x\"}", "status": status, "receiver": "fixgate",
		"groupLabels": map[string]string{}, "commonLabels": lbls, "commonAnnotations": map[string]string{"summary": "errors up"},
		"externalURL": "http://am:9093", "truncatedAlerts": 0, "newField": "tolerated",
		"alerts": []map[string]any{{"status": status, "labels": lbls, "annotations": map[string]string{"summary": "errors up"},
			"startsAt": starts.Format(time.RFC3339Nano), "endsAt": end, "generatorURL": "http://prom/graph",
			"fingerprint": alertmanager.Fingerprint(lbls)}}})
	return string(b)
}

var amLabels = map[string]string{"alertname": "HighErrorRate", "service": "checkout-api", "env": "prod-eu"}

func TestAlertmanagerHookDedupAndErrors(t *testing.T) {
	ta := newTestAPI(t)
	body := amBody("firing", amLabels, ta.clock.T.Add(-time.Minute), time.Time{})
	got := ta.must("bot", "POST", "/api/v1/hooks/alertmanager", body, 200)
	if got["received"] != 1.0 || got["new"] != 1.0 || got["duplicates"] != 0.0 || got["incidents_opened"] != 1.0 {
		t.Fatalf("first delivery: %v", got)
	}
	n := ta.auditCount()
	got = ta.must("bot", "POST", "/api/v1/hooks/alertmanager", body, 200)
	if got["new"] != 0.0 || got["duplicates"] != 1.0 {
		t.Fatalf("resend: %v", got)
	}
	if ta.auditCount() != n {
		t.Fatal("a resend wrote audit events")
	}
	list := ta.must("aud", "GET", "/api/v1/incidents", "", 200)
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["title"] != "errors up" {
		t.Fatalf("incidents: %v", list)
	}
	ta.problem(ta.do("eng", "POST", "/api/v1/hooks/alertmanager", body), 403, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/hooks/alertmanager", `{"version":"3","alerts":[]}`), 400, "version")
	ta.problem(ta.do("bot", "POST", "/api/v1/hooks/alertmanager", `{"version":"4",`), 400, "")
	big := `{"version":"4","receiver":"` + strings.Repeat("x", alertmanager.DefaultMaxBytes) + `"}`
	ta.problem(ta.do("bot", "POST", "/api/v1/hooks/alertmanager", big), 413, "body")
	if ta.auditCount() != n+1 { // the role refusal is audited as a denial
		t.Fatalf("refused payloads wrote %d audit events", ta.auditCount()-n)
	}
	resolved := amBody("resolved", amLabels, ta.clock.T.Add(-time.Minute), ta.clock.T)
	if got := ta.must("bot", "POST", "/api/v1/hooks/alertmanager", resolved, 200); got["incidents_resolved"] != 1.0 {
		t.Fatalf("resolution: %v", got)
	}
	if inc := ta.must("aud", "GET", "/api/v1/incidents/INC-1", "", 200); inc["status"] != "resolved" {
		t.Fatalf("incident: %v", inc)
	}
	sigs := ta.must("aud", "GET", "/api/v1/signals", "", 200)
	if items := sigs["items"].([]any); len(items) != 2 {
		t.Fatalf("signals: %v", sigs)
	}
}

func TestSignaturesAPI(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2}`, 201)
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{alertname=~\"(\"}"}`), 400, "matcher")
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{env!=\"x\"}"}`), 400, "matcher")
	ta.problem(ta.do("aud", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{alertname=\"A\"}"}`), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-9/signatures", `{"matcher":"{alertname=\"A\"}"}`), 404, "")
	g := ta.must("pm", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{service=\"checkout-api\", alertname=\"HighErrorRate\"}"}`, 201)
	if g["id"] != "SIG-1" || g["matcher"] != `{alertname="HighErrorRate",service="checkout-api"}` || g["problem"] != "PRB-1" {
		t.Fatalf("signature: %v", g)
	}
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{alertname=\"HighErrorRate\",service=\"checkout-api\"}"}`), 409, "matcher")
	if l := ta.must("aud", "GET", "/api/v1/problems/PRB-1/signatures", "", 200); len(l["items"].([]any)) != 1 {
		t.Fatalf("list: %v", l)
	}
	// An incident posted to the API that matches is linked to the problem.
	in := ta.must("eng", "POST", "/api/v1/incidents", `{"title":"errors","ci":"checkout-api","env":"prod-eu","severity":2,"labels":{"alertname":"HighErrorRate"}}`, 201)
	if in["problem"] != "PRB-1" {
		t.Fatalf("incident not linked: %v", in)
	}
	if l := ta.must("aud", "GET", "/api/v1/incidents?problem=PRB-1", "", 200); len(l["items"].([]any)) != 1 {
		t.Fatalf("incidents of PRB-1: %v", l)
	}
	ta.must("pm", "DELETE", "/api/v1/problems/PRB-1/signatures/SIG-1", "", 200)
	ta.problem(ta.do("pm", "DELETE", "/api/v1/problems/PRB-1/signatures/SIG-1", ""), 404, "")
	if l := ta.must("aud", "GET", "/api/v1/problems/PRB-1/signatures", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("list after removal: %v", l)
	}
}

// resolvedViaAPI records PRB-1 with an RCA written by rca (a validator who
// is also an engineer) and validated by pm, signature SIG-1, resolved by
// pm with a deviation pm2 approved.
func resolvedViaAPI(t *testing.T, ta *testAPI) {
	t.Helper()
	_, tok, err := ta.store.CreateUser(context.Background(), audit.System("test"), auth.User{Name: "rca", Roles: []auth.Role{auth.Engineer, auth.Validator}})
	if err != nil {
		t.Fatal(err)
	}
	ta.tokens["rca"] = tok
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":3,"cis":["checkout-api"],"environments":["prod-eu"]}`, 201)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/signatures", `{"matcher":"{alertname=\"HighErrorRate\",service=\"checkout-api\"}"}`, 201)
	for _, to := range []string{"assess", "rca"} {
		ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"`+to+`"}`, 200)
	}
	ta.must("rca", "PUT", "/api/v1/problems/PRB-1/rca", `{"category":"code_defect","summary":"nil map"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/rca/validations", `{}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"fix_in_progress"}`, 200)
	ta.must("pm", "POST", "/api/v1/problems/PRB-1/transitions", `{"to":"resolved","deviation":{"reason":"hotfix outside fixgate","approved_by":"pm2"}}`, 200)
}

func TestClosureAPI(t *testing.T) {
	ta := newTestAPI(t)
	resolvedViaAPI(t, ta)
	n := ta.auditCount()
	m := ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/close", `{"comment":"done"}`), 412, "")
	missing := fmt.Sprint(m["extra"].(map[string]any)["missing"])
	if missing != "[observation_period pir confirmation]" {
		t.Fatalf("missing: %s (%v)", missing, m)
	}
	ta.problem(ta.do("rca", "POST", "/api/v1/problems/PRB-1/confirmations", `{"comment":"ok"}`), 403, "")
	ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/confirmations", `{"comment":"ok"}`), 403, "")
	ta.problem(ta.do("val", "POST", "/api/v1/problems/PRB-1/close", `{}`), 403, "")
	if ta.auditCount() != n+3 { // the three 403s are audited as denials; nothing else was written
		t.Fatalf("refusals wrote %d audit events", ta.auditCount()-n)
	}
	c := ta.must("val", "POST", "/api/v1/problems/PRB-1/confirmations", `{"comment":"error rate flat"}`, 201)
	if c["validator"] != "val" || c["problem"] != "PRB-1" {
		t.Fatalf("confirmation: %v", c)
	}
	chk := ta.must("aud", "GET", "/api/v1/problems/PRB-1/closure", "", 200)
	if chk["ready"] != false || len(chk["missing"].([]any)) != 2 {
		t.Fatalf("closure check: %v", chk)
	}
	if l := ta.must("aud", "GET", "/api/v1/problems/ready-to-close", "", 200); len(l["items"].([]any)) != 0 {
		t.Fatalf("ready: %v", l)
	}
	// A recurrence during observation reopens the problem and voids the confirmation.
	ta.clock.Advance(time.Hour)
	got := ta.must("bot", "POST", "/api/v1/hooks/alertmanager", amBody("firing", amLabels, ta.clock.T, time.Time{}), 200)
	if got["recurrences"] != 1.0 {
		t.Fatalf("ingest: %v", got)
	}
	p := ta.must("aud", "GET", "/api/v1/problems/PRB-1", "", 200)
	if p["status"] != "fix_in_progress" || p["recurrence_count"] != 1.0 {
		t.Fatalf("problem: %v", p)
	}
	if l := ta.must("aud", "GET", "/api/v1/incidents?problem=PRB-1", "", 200); len(l["items"].([]any)) != 1 {
		t.Fatalf("incidents of PRB-1: %v", l)
	}
	m = ta.problem(ta.do("pm", "POST", "/api/v1/problems/PRB-1/close", `{}`), 412, "")
	if missing := fmt.Sprint(m["extra"].(map[string]any)["missing"]); missing != "[resolved pir confirmation]" {
		t.Fatalf("missing after recurrence: %s", missing)
	}
}

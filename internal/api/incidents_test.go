package api

import (
	"net/url"
	"strings"
	"testing"
)

func TestIncidentAPICreateGetList(t *testing.T) {
	ta := newTestAPI(t)
	r := ta.do("bot", "POST", "/api/v1/incidents", `{"title":"Checkout 500s","ci":"checkout-api","env":"prod-eu","severity":2,
		"labels":{"alertname":"High5xx"},"external_id":"PD-1","opened_at":"2026-03-02T09:00:00+01:00"}`)
	if r.status != 201 || r.header.Get("ETag") != `"1"` {
		t.Fatalf("create: %d %q %s", r.status, r.header.Get("ETag"), r.body)
	}
	inc := r.json(t)
	if inc["id"] != "INC-1" || inc["status"] != "open" || inc["opened_at"] != "2026-03-02T08:00:00Z" || inc["created_by"] != "bot" || inc["source"] != "api" {
		t.Fatalf("created %v", inc)
	}
	got := ta.must("aud", "GET", "/api/v1/incidents/INC-1", "", 200)
	if got["labels"].(map[string]any)["alertname"] != "High5xx" || got["external_id"] != "PD-1" {
		t.Fatalf("get %v", got)
	}
	for i := 0; i < 4; i++ {
		ta.must("eng", "POST", "/api/v1/incidents", `{"title":"t","ci":"checkout-api","env":"prod-eu","severity":3}`, 201)
	}
	var ids []string
	cursor := ""
	for pages := 0; pages < 5; pages++ {
		l := ta.must("aud", "GET", "/api/v1/incidents?limit=2&severity=3&cursor="+url.QueryEscape(cursor), "", 200)
		for _, it := range l["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		cursor, _ = l["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if strings.Join(ids, ",") != "INC-2,INC-3,INC-4,INC-5" {
		t.Fatalf("paged ids %v", ids)
	}
	l := ta.must("aud", "GET", "/api/v1/incidents?since=2026-03-02T08:30:00Z&ci=checkout-api", "", 200)
	if n := len(l["items"].([]any)); n != 4 {
		t.Fatalf("since filter: %d items", n)
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/incidents?since=2026-03-02T08:30:00", ""), 400, "since")
	ta.problem(ta.do("aud", "GET", "/api/v1/incidents?problem=REL-1", ""), 400, "problem")
	ta.problem(ta.do("aud", "GET", "/api/v1/incidents/INC-99", ""), 404, "")
}

func TestIncidentAPIRefusalsWriteNothing(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("eng", "POST", "/api/v1/incidents", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"external_id":"E1"}`, 201)
	before := ta.auditCount()
	for _, tc := range []struct {
		user, body string
		status     int
		field      string
	}{
		{"eng", `{"title":"x","ci":"ghost","env":"prod-eu","severity":1}`, 400, "ci"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":9}`, 400, "severity"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"opened_at":"2026-03-02T09:00:00"}`, 400, "opened_at"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"opened_at":"2027-01-01T00:00:00Z"}`, 400, "opened_at"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"labels":{"bad-name":"v"}}`, 400, "labels"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"problem":"PRB-4"}`, 400, "problem"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"external_id":"E1"}`, 409, "external_id"},
		{"eng", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1,"colour":"red"}`, 400, "colour"},
	} {
		ta.problem(ta.do(tc.user, "POST", "/api/v1/incidents", tc.body), tc.status, tc.field)
	}
	if ta.auditCount() != before {
		t.Fatalf("refused creates wrote %d audit events", ta.auditCount()-before)
	}
	if l := ta.must("aud", "GET", "/api/v1/incidents", "", 200); len(l["items"].([]any)) != 1 {
		t.Fatalf("refused creates stored incidents: %v", l)
	}
	// Auditors and CAB members cannot create incidents (403; the denial itself is audited).
	ta.problem(ta.do("cab", "POST", "/api/v1/incidents", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":1}`), 403, "")
}

func TestIncidentAPIUpdateAndTransitions(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("eng", "POST", "/api/v1/incidents", `{"title":"x","ci":"checkout-api","env":"prod-eu","severity":2}`, 201)
	ta.must("eng", "POST", "/api/v1/problems", `{"title":"p","priority":2}`, 201)
	before := ta.auditCount()
	ta.problem(ta.do("eng", "PATCH", "/api/v1/incidents/INC-1", `{"severity":1}`), 412, "If-Match")
	ta.problem(ta.do("eng", "PATCH", "/api/v1/incidents/INC-1", `{"severity":1}`, `If-Match: "7"`), 412, "")
	ta.problem(ta.do("eng", "PATCH", "/api/v1/incidents/INC-1", `{"problem":"PRB-9"}`, `If-Match: "1"`), 400, "problem")
	m := ta.problem(ta.do("eng", "POST", "/api/v1/incidents/INC-1/transitions", `{"to":"open"}`), 409, "")
	extra := m["extra"].(map[string]any)
	if extra["current_status"] != "open" || len(extra["allowed_moves"].([]any)) != 1 || extra["allowed_moves"].([]any)[0] != "resolved" {
		t.Fatalf("conflict extra %v", extra)
	}
	ta.problem(ta.do("eng", "POST", "/api/v1/incidents/INC-1/transitions", `{"to":"closed"}`), 400, "status")
	if ta.auditCount() != before {
		t.Fatalf("refused updates wrote %d audit events", ta.auditCount()-before)
	}
	p := ta.must("pm", "PATCH", "/api/v1/incidents/INC-1", `{"problem":"prb-1","severity":1,"labels":{"team":"payments"}}`, 200, `If-Match: "1"`)
	if p["problem"] != "PRB-1" || p["severity"] != 1.0 || p["revision"] != 2.0 {
		t.Fatalf("patched %v", p)
	}
	if l := ta.must("aud", "GET", "/api/v1/incidents?problem=PRB-1", "", 200); len(l["items"].([]any)) != 1 {
		t.Fatalf("problem filter %v", l)
	}
	res := ta.must("bot", "POST", "/api/v1/incidents/INC-1/transitions", `{"to":"resolved","revision":2}`, 200)
	if res["status"] != "resolved" || res["resolved_at"] == nil {
		t.Fatalf("resolved %v", res)
	}
	re := ta.must("eng", "POST", "/api/v1/incidents/INC-1/transitions", `{"to":"open"}`, 200)
	if re["status"] != "open" || re["resolved_at"] != nil || re["revision"] != 4.0 {
		t.Fatalf("reopened %v", re)
	}
}

func TestKnownErrorAndPIRAPI(t *testing.T) {
	ta := newTestAPI(t)
	ta.must("pm", "POST", "/api/v1/problems", `{"title":"p","priority":2}`, 201)
	ke := ta.must("pm", "POST", "/api/v1/known-errors", `{"title":"Pool exhaustion","problem":"PRB-1","labels":{"ci":"checkout-api"},"symptoms":"timeouts"}`, 201)
	if ke["id"] != "KE-1" || ke["status"] != "draft" {
		t.Fatalf("ke %v", ke)
	}
	before := ta.auditCount()
	ta.problem(ta.do("pm", "POST", "/api/v1/known-errors/KE-1/transitions", `{"to":"published"}`), 412, "")
	ta.problem(ta.do("bot", "POST", "/api/v1/known-errors/KE-1/outcomes", `{"release":"REL-1","outcome":"fixed"}`), 400, "release")
	ta.problem(ta.do("bot", "POST", "/api/v1/known-errors/KE-1/outcomes", `{"release":"REL-1","outcome":"meh"}`), 400, "outcome")
	if ta.auditCount() != before {
		t.Fatal("refused known error changes wrote audit events")
	}
	ta.must("pm", "PATCH", "/api/v1/known-errors/KE-1", `{"workaround":"Restart the pool"}`, 200, `If-Match: "1"`)
	ta.must("pm", "POST", "/api/v1/known-errors/KE-1/transitions", `{"to":"published"}`, 200)
	ta.must("rm", "POST", "/api/v1/releases", `{"version":"1.0.1","type":"feature"}`, 201)
	o := ta.must("bot", "POST", "/api/v1/known-errors/KE-1/outcomes", `{"release":"REL-1","outcome":"recurred","note":"back in 2 days"}`, 201)
	if outs := o["outcomes"].([]any); len(outs) != 1 || outs[0].(map[string]any)["outcome"] != "recurred" {
		t.Fatalf("outcomes %v", o)
	}
	for q, want := range map[string]int{"q=RESTART": 1, "label=ci%3Dcheckout-api": 1, "label=ci%3Dother": 0, "problem=PRB-1&status=published": 1} {
		if l := ta.must("aud", "GET", "/api/v1/known-errors?"+q, "", 200); len(l["items"].([]any)) != want {
			t.Errorf("%s: %v", q, l)
		}
	}
	ta.problem(ta.do("aud", "GET", "/api/v1/known-errors?label=nope", ""), 400, "label")

	ta.problem(ta.do("pm", "POST", "/api/v1/pirs", `{"release":"REL-1"}`), 400, "problem")
	p := ta.must("pm", "POST", "/api/v1/pirs", `{"problem":"PRB-1","release":"REL-1","kpis":{"incidents_before":12},"checklist":["canary first"]}`, 201)
	if p["id"] != "PIR-1" || p["status"] != "draft" || p["root_cause_eliminated"] != nil {
		t.Fatalf("pir %v", p)
	}
	ta.problem(ta.do("pm", "POST", "/api/v1/pirs/PIR-1/transitions", `{"to":"completed"}`), 412, "root_cause_eliminated")
	ta.must("eng", "PATCH", "/api/v1/pirs/PIR-1", `{"root_cause_eliminated":true,"findings":"no recurrence","kpis":{"incidents_before":12,"incidents_after":0}}`, 200, `If-Match: "1"`)
	ta.problem(ta.do("eng", "POST", "/api/v1/pirs/PIR-1/transitions", `{"to":"completed"}`), 403, "")
	done := ta.must("val", "POST", "/api/v1/pirs/PIR-1/transitions", `{"to":"completed","revision":2}`, 200)
	if done["status"] != "completed" || done["completed_by"] != "val" {
		t.Fatalf("completed %v", done)
	}
	ta.problem(ta.do("pm", "PATCH", "/api/v1/pirs/PIR-1", `{"findings":"rewrite"}`, `If-Match: "3"`), 409, "")
}

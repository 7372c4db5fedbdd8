package api

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/webhook"
	"fixgate/internal/webhook/delivery"
)

// TestWebhookRoutes: admins manage subscriptions; the generated secret is
// shown once and never again; others are refused; PATCH needs If-Match;
// the delivery log of a real delivery is readable, also after deletion.
func TestWebhookRoutes(t *testing.T) {
	ta := newTestAPI(t)
	var gotSig, gotBody string
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		gotBody, gotSig = string(b), r.Header.Get(webhook.HeaderSignature)
	}))
	defer rcv.Close()

	before := ta.auditCount()
	ta.problem(ta.do("pm", "POST", "/api/v1/webhooks", `{"url":"https://x.example","events":["*"]}`), 403, "")
	ta.problem(ta.do("admin", "POST", "/api/v1/webhooks", `{"url":"`+rcv.URL+`","events":["*"]}`), 400, "url")
	ta.problem(ta.do("admin", "POST", "/api/v1/webhooks", `{"url":"https://x.example","events":["Not An Event"]}`), 400, "events")
	if got := ta.auditCount(); got != before+1 { // the denied call is audited, nothing else
		t.Fatalf("audit grew by %d", got-before)
	}
	created := ta.must("admin", "POST", "/api/v1/webhooks", `{"url":"`+rcv.URL+`/h","events":["problem.recurred"],"allow_private":true}`, 201)
	secret, _ := created["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") || created["active"] != true || created["id"] != "WH-1" {
		t.Fatalf("created %v", created)
	}
	got := ta.do("aud", "GET", "/api/v1/webhooks/WH-1", "")
	if got.status != 200 || strings.Contains(string(got.body), secret) || strings.Contains(string(got.body), `"secret"`) {
		t.Fatalf("GET shows the secret: %s", got.body)
	}
	if l := ta.do("admin", "GET", "/api/v1/webhooks", ""); strings.Contains(string(l.body), secret) {
		t.Fatal("list shows the secret")
	}
	ta.problem(ta.do("admin", "PATCH", "/api/v1/webhooks/WH-1", `{"description":"x"}`), 412, "If-Match")
	ta.problem(ta.do("admin", "PATCH", "/api/v1/webhooks/WH-1", `{"secret":""}`, `If-Match: "1"`), 400, "secret")
	ta.must("admin", "PATCH", "/api/v1/webhooks/WH-1", `{"description":"ops channel"}`, 200, `If-Match: "1"`)

	ping := ta.must("admin", "POST", "/api/v1/webhooks/WH-1/ping", "", 200)
	if ping["ok"] != true || !webhook.Verify(secret, []byte(gotBody), gotSig) || !strings.Contains(gotBody, `"event":"webhook.ping"`) {
		t.Fatalf("ping %v: %q", ping, gotBody)
	}
	id, err := ta.store.Notify(context.Background(), audit.System("test"), "problem.recurred", map[string]any{"problem": "PRB-1"})
	if err != nil {
		t.Fatal(err)
	}
	w := &delivery.Worker{Queue: ta.store, Now: ta.store.Now, Timeout: 3 * time.Second}
	if n, err := w.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunOnce %d %v", n, err)
	}
	if !webhook.Verify(secret, []byte(gotBody), gotSig) || !strings.Contains(gotBody, `"event":"problem.recurred"`) {
		t.Fatalf("delivery %q signed %q", gotBody, gotSig)
	}
	ds := ta.must("admin", "GET", "/api/v1/webhooks/WH-1/deliveries", "", 200)
	items := ds["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["status_code"] != float64(200) || items[0].(map[string]any)["event_id"] != float64(id) {
		t.Fatalf("deliveries %v", ds)
	}
	ta.problem(ta.do("admin", "DELETE", "/api/v1/webhooks/WH-1", "", `If-Match: "1"`), 412, "")
	ta.must("admin", "DELETE", "/api/v1/webhooks/WH-1", "", 200, `If-Match: "2"`)
	ta.problem(ta.do("admin", "GET", "/api/v1/webhooks/WH-1", ""), 404, "")
	ta.must("admin", "GET", "/api/v1/webhooks/WH-1/deliveries", "", 200)
}

// TestImportRoute: good rows land, bad ones come back by index with their
// field, a re-import skips everything.
func TestImportRoute(t *testing.T) {
	ta := newTestAPI(t)
	body := `{"rows":[
		{"external_id":"E-1","title":"a","ci":"checkout-api","env":"prod-eu","severity":2,"labels":{"team":"pay"}},
		{"external_id":"E-2","title":"b","ci":"nope","env":"prod-eu","severity":2},
		{"external_id":"","title":"c","ci":"checkout-api","env":"prod-eu","severity":2},
		{"external_id":"E-4","title":"d","ci":"checkout-api","env":"prod-eu","severity":9}]}`
	out := ta.must("bot", "POST", "/api/v1/incidents/import", body, 200)
	errs := out["errors"].([]any)
	if out["created"] != float64(1) || len(errs) != 3 {
		t.Fatalf("%v", out)
	}
	for i, want := range []struct {
		row   float64
		field string
	}{{1, "ci"}, {2, "external_id"}, {3, "severity"}} {
		e := errs[i].(map[string]any)
		if e["row"] != want.row || e["field"] != want.field {
			t.Errorf("error %d: %v", i, e)
		}
	}
	again := ta.must("bot", "POST", "/api/v1/incidents/import", body, 200)
	if again["created"] != float64(0) || again["updated"] != float64(0) || again["skipped"] != float64(1) {
		t.Fatalf("re-import %v", again)
	}
	ta.problem(ta.do("bot", "POST", "/api/v1/incidents/import", `{"rows":[]}`), 400, "rows")
	// A row that does not decode (a zoneless time) is the row's error, reported like the others.
	bad := ta.must("bot", "POST", "/api/v1/incidents/import", `{"rows":[{"external_id":"x","opened_at":"2026-03-01T10:00:00"}]}`, 200)
	if e := bad["errors"].([]any); bad["created"] != float64(0) || len(e) != 1 || e[0].(map[string]any)["field"] != "opened_at" || e[0].(map[string]any)["row"] != float64(0) {
		t.Fatalf("undecodable row: %v", bad)
	}
	ta.problem(ta.do("aud", "POST", "/api/v1/incidents/import", body), 403, "")
}

package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSignaturePreviewAddAndWithdraw: the preview lists the incidents of
// the last 30 days a signature would match (not older ones, not others),
// adding and withdrawing go through the store as the API does, audited.
func TestSignaturePreviewAddAndWithdraw(t *testing.T) {
	tw := newTestWeb(t)
	old := tw.store.Now().Add(-40 * 24 * time.Hour).UTC().Format(time.RFC3339)
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"old 500s","ci":"checkout-api","env":"prod-eu","severity":2,
		"labels":{"alertname":"HighErrorRate"},"opened_at":"`+old+`"}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"fresh 500s","ci":"checkout-api","env":"prod-eu","severity":2,
		"labels":{"alertname":"HighErrorRate"}}`, 201)
	tw.apiCall("admin", "POST", "/api/v1/incidents", `{"title":"disk full","ci":"checkout-api","env":"prod-eu","severity":3,
		"labels":{"alertname":"DiskFull"}}`, 201)
	tw.apiCall("pm", "POST", "/api/v1/problems", `{"title":"Checkout 500s","priority":2}`, 201)
	pm := tw.user("pm")

	sig := `{alertname="HighErrorRate",service="checkout-api"}`
	p := pm.get("/problems/PRB-1/signatures/preview?matcher=" + url.QueryEscape(sig))
	wantAll(t, "preview", p, 200, "matches <strong>1</strong> of the 2 newest incidents", "INC-2 fresh 500s",
		`action="/problems/PRB-1/signatures"`)
	wantNone(t, "preview", p, "INC-1 old 500s", "INC-3 disk full")
	bad := pm.get("/problems/PRB-1/signatures/preview?matcher=" + url.QueryEscape(`{alertname=`))
	wantAll(t, "bad matcher", bad, http.StatusBadRequest, `role="alert"`, "matcher: ")
	wantNone(t, "preview as auditor", tw.user("aud").get("/problems/PRB-1/signatures/preview?matcher="+url.QueryEscape(sig)),
		`action="/problems/PRB-1/signatures"`)

	res := pm.post("/problems/PRB-1/signatures", url.Values{"matcher": {sig}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("add signature: %d %s", res.status, res.body)
	}
	page := pm.get("/problems/PRB-1")
	wantAll(t, "problem with a signature", page, 200, "SIG-1", `<code>{alertname=&#34;HighErrorRate&#34;,service=&#34;checkout-api&#34;}</code>`,
		`>Preview what SIG-1 matches</a>`, `action="/problems/PRB-1/signatures/SIG-1/remove"`)
	link := regexp.MustCompile(`href="([^"]+)">Preview what SIG-1 matches`).FindStringSubmatch(page.body)
	if link == nil {
		t.Fatal("no preview link for SIG-1")
	}
	wantAll(t, "SIG-1's preview", pm.get(html.UnescapeString(link[1])), 200, "matches <strong>1</strong>", "INC-2 fresh 500s")
	dup := pm.post("/problems/PRB-1/signatures", url.Values{"matcher": {sig}})
	wantAll(t, "duplicate signature", dup, http.StatusConflict, "already has this signature as SIG-1")

	if res := tw.user("aud").post("/problems/PRB-1/signatures/SIG-1/remove", nil); res.status != http.StatusForbidden {
		t.Fatalf("auditor withdraws: %d", res.status)
	}
	if res := pm.post("/problems/PRB-1/signatures/SIG-1/remove", nil); res.status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d %s", res.status, res.body)
	}
	wantAll(t, "after withdrawal", pm.get("/problems/PRB-1"), 200, "No active signature")
	evs, err := tw.store.AuditEventsFor(context.Background(), "problem", "PRB-1", 10)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action+" by "+e.Actor)
	}
	if err != nil || strings.Join(actions, ", ") != "problem.create by pm, problem.signature.add by pm, problem.signature.remove by pm" {
		t.Fatalf("audit: %v %v", actions, err)
	}
}

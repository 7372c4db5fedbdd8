package api

import (
	"net/http"
	"testing"
)

// TestStrictJSONRefusesAmbiguity sends documents that encoding/json would
// read one way silently: each is answered 400 problem+json naming the key,
// and nothing is written.
func TestStrictJSONRefusesAmbiguity(t *testing.T) {
	ta := newTestAPI(t)
	before := ta.auditCount()
	for _, c := range []struct{ path, body, field string }{
		{"/api/v1/problems", `{"title":"lower","Title":"UPPER","priority":2}`, "Title"},
		{"/api/v1/problems", `{"title":"t","priority":1,"Priority":4}`, "Priority"},
		{"/api/v1/problems", `{"Title":"UPPER","priority":2}`, "Title"},
		{"/api/v1/problems", `{"title":"t","priority":2}]`, "body"},
		{"/api/v1/problems", `{"title":"t","priority":2}}`, "body"},
		{"/api/v1/problems", "{\"title\":\"t\xff\",\"priority\":2}", "title"},
		{"/api/v1/problems", `{"title":"t\u0000","priority":2}`, "title"},
		{"/api/v1/hooks/alertmanager", strictAMBody(`"startsAt":"2026-03-01T10:00:00Z","StartsAt":"2026-03-01T11:00:00Z"`), "alerts[0].StartsAt"},
		{"/api/v1/hooks/alertmanager", strictAMBody(`"startsAt":"2026-03-01T10:00:00Z"`) + "]", "body"},
	} {
		user := "pm"
		if c.path == "/api/v1/hooks/alertmanager" {
			user = "bot"
		}
		ta.problem(ta.do(user, "POST", c.path, c.body), http.StatusBadRequest, c.field)
	}
	if got := ta.auditCount(); got != before {
		t.Fatalf("refused documents wrote %d audit events", got-before)
	}
	// The hook stays tolerant of fields it does not know.
	ta.must("bot", "POST", "/api/v1/hooks/alertmanager", strictAMBody(`"startsAt":"2026-03-01T10:00:00Z","notification_reason":"x"`), http.StatusOK)
}

func strictAMBody(alertFields string) string {
	return `{"version":"4","status":"firing","receiver":"fixgate","groupKey":"k","alerts":[{"status":"firing",` +
		`"labels":{"alertname":"HighErrorRate","Service":"checkout-api","service":"x"},` + alertFields + `}]}`
}

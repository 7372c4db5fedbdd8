package alertmanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
)

func fixture(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/firing.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// edit decodes the fixture into generic JSON, applies fn and re-encodes it.
func edit(t *testing.T, fn func(p map[string]any)) []byte {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal(fixture(t), &p); err != nil {
		t.Fatal(err)
	}
	fn(p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func alert(p map[string]any, i int) map[string]any { return p["alerts"].([]any)[i].(map[string]any) }

func TestDecodeRealPayload(t *testing.T) {
	p, err := Decode(bytes.NewReader(fixture(t)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Receiver != "fixgate" || p.Status != Firing || p.Version != "4" || len(p.Alerts) != 2 ||
		p.GroupLabels["service"] != "checkout-api" || p.CommonLabels["env"] != "prod-eu" ||
		p.CommonAnnotations["summary"] != `checkout-api "payments" calls failing` ||
		p.ExternalURL != "http://alertmanager.example.com:9093" || p.TruncatedAlerts != 0 ||
		!strings.HasPrefix(p.GroupKey, `{}/{severity="critical"}`) {
		t.Fatalf("payload: %+v", p)
	}
	a, r := p.Alerts[0], p.Alerts[1]
	if !a.Firing() || a.Labels["alertname"] != "HighErrorRate" || a.Fingerprint != "253aa31a7d8b9b9f" ||
		!a.EndsAt.IsZero() || !a.StartsAt.Equal(time.Date(2026, 3, 1, 12, 4, 31, 512e6, time.UTC)) ||
		!strings.HasPrefix(a.GeneratorURL, "http://prometheus.example.com:9090/graph") {
		t.Fatalf("firing alert: %+v", a)
	}
	if r.Firing() || r.StartsAt.Location() != time.UTC || r.StartsAt.Format(time.RFC3339Nano) != "2026-03-01T10:58:01.01Z" ||
		!r.EndsAt.Equal(time.Date(2026, 3, 1, 12, 3, 46, 5e8, time.UTC)) {
		t.Fatalf("resolved alert: %+v", r)
	}
}

func TestFingerprintAsAlertmanager(t *testing.T) {
	// Vector from prometheus/common model (TestMetricToFingerprint): 5799056148416392346.
	got := Fingerprint(map[string]string{"name": "garland, briggs", "fear": "love is not enough"})
	if want := fmt.Sprintf("%016x", uint64(5799056148416392346)); got != want {
		t.Fatalf("Fingerprint = %s, want %s", got, want)
	}
	// Without a fingerprint, the decoder computes the one Alertmanager sent.
	body := edit(t, func(p map[string]any) {
		delete(alert(p, 0), "fingerprint")
		alert(p, 1)["fingerprint"] = "157F49A25D9618F6" // upper case is normalised
	})
	p, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if p.Alerts[0].Fingerprint != "253aa31a7d8b9b9f" || p.Alerts[1].Fingerprint != "157f49a25d9618f6" {
		t.Fatalf("fingerprints %s %s", p.Alerts[0].Fingerprint, p.Alerts[1].Fingerprint)
	}
}

func TestDedupKey(t *testing.T) {
	first, err := Parse(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	key := DedupKey(first.Alerts[0])
	if key != "253aa31a7d8b9b9f|2026-03-01T12:04:31.512Z|firing" {
		t.Fatalf("key %s", key)
	}
	// A resend — even with the start written in another zone and new
	// annotations — is the same event.
	resend, err := Parse(edit(t, func(p map[string]any) {
		alert(p, 0)["startsAt"] = "2026-03-01T14:04:31.512+02:00"
		alert(p, 0)["annotations"] = map[string]any{"description": "5xx ratio is 9%"}
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := DedupKey(resend.Alerts[0]); got != key {
		t.Fatalf("resend key %s != %s", got, key)
	}
	// A recurrence: same labels, so the same fingerprint, but a new start.
	again, err := Parse(edit(t, func(p map[string]any) { alert(p, 0)["startsAt"] = "2026-03-02T08:00:00Z" }))
	if err != nil {
		t.Fatal(err)
	}
	if again.Alerts[0].Fingerprint != first.Alerts[0].Fingerprint || DedupKey(again.Alerts[0]) == key {
		t.Fatalf("recurrence: fingerprint %s, key %s", again.Alerts[0].Fingerprint, DedupKey(again.Alerts[0]))
	}
	// Its resolution is another event.
	resolved, err := Parse(edit(t, func(p map[string]any) {
		alert(p, 0)["status"] = "resolved"
		alert(p, 0)["endsAt"] = "2026-03-01T12:30:00Z"
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := DedupKey(resolved.Alerts[0]); got == key || !strings.HasSuffix(got, "|resolved") {
		t.Fatalf("resolution key %s", got)
	}
}

func TestUnknownFieldsTolerated(t *testing.T) {
	body := edit(t, func(p map[string]any) {
		p["notification_reason"] = "new_alerts"
		p["orgId"] = 1
		alert(p, 0)["silenceURL"] = "http://am/silence"
		alert(p, 0)["values"] = map[string]any{"B": 7.2}
	})
	p, err := Parse(body)
	if err != nil {
		t.Fatalf("unknown fields refused: %v", err)
	}
	if len(p.Alerts) != 2 || p.Alerts[0].Fingerprint != "253aa31a7d8b9b9f" {
		t.Fatalf("payload %+v", p)
	}
}

func TestRefusals(t *testing.T) {
	tooMany := func(p map[string]any) {
		a := p["alerts"].([]any)
		for len(a) <= MaxAlerts {
			a = append(a, a[0])
		}
		p["alerts"] = a
	}
	for _, tc := range []struct {
		name, field, want string
		fn                func(p map[string]any)
	}{
		{"wrong version", "version", `"3" is not supported`, func(p map[string]any) { p["version"] = "3" }},
		{"no version", "version", "is required", func(p map[string]any) { delete(p, "version") }},
		{"version as number", "version", "must be a string", func(p map[string]any) { p["version"] = 4 }},
		{"group status", "status", `"pending" is not firing or resolved`, func(p map[string]any) { p["status"] = "pending" }},
		{"alert status", "alerts[1].status", "is required", func(p map[string]any) { delete(alert(p, 1), "status") }},
		{"alert status value", "alerts[0].status", `"active"`, func(p map[string]any) { alert(p, 0)["status"] = "active" }},
		{"no startsAt", "alerts[1].startsAt", "is required", func(p map[string]any) { delete(alert(p, 1), "startsAt") }},
		{"bad startsAt", "alerts[0].startsAt", "not an RFC 3339 time", func(p map[string]any) { alert(p, 0)["startsAt"] = "2026-03-01 12:00:00" }},
		{"zoneless startsAt", "alerts[0].startsAt", "with a zone", func(p map[string]any) { alert(p, 0)["startsAt"] = "2026-03-01T12:00:00" }},
		{"zero startsAt", "alerts[0].startsAt", "zero time", func(p map[string]any) { alert(p, 0)["startsAt"] = "0001-01-01T00:00:00Z" }},
		{"ancient startsAt", "alerts[0].startsAt", "out of range", func(p map[string]any) { alert(p, 0)["startsAt"] = "0100-01-01T00:00:00Z" }},
		{"bad endsAt", "alerts[0].endsAt", "not an RFC 3339", func(p map[string]any) { alert(p, 0)["endsAt"] = "soon" }},
		{"resolved without end", "alerts[1].endsAt", "required for a resolved alert", func(p map[string]any) { delete(alert(p, 1), "endsAt") }},
		{"end before start", "alerts[1].endsAt", "is before startsAt", func(p map[string]any) { alert(p, 1)["endsAt"] = "2026-03-01T10:00:00Z" }},
		{"no labels", "alerts[0].labels", "at least one label", func(p map[string]any) { alert(p, 0)["labels"] = map[string]any{} }},
		{"bad label name", "alerts[1].labels", `"service-name"`, func(p map[string]any) { alert(p, 1)["labels"].(map[string]any)["service-name"] = "x" }},
		{"label value not a string", "alerts[0].labels", "must be a string", func(p map[string]any) { alert(p, 0)["labels"].(map[string]any)["code"] = 503 }},
		{"bad fingerprint", "alerts[0].fingerprint", `"xyz" is not 16 hexadecimal`, func(p map[string]any) { alert(p, 0)["fingerprint"] = "xyz" }},
		{"short fingerprint", "alerts[0].fingerprint", "not 16", func(p map[string]any) { alert(p, 0)["fingerprint"] = "253aa31a7d8b9b9" }},
		{"too many alerts", "alerts", "has 1001 alerts; at most 1000", tooMany},
		{"no alerts", "alerts", "is empty", func(p map[string]any) { p["alerts"] = []any{} }},
		{"alert not an object", "alerts[2]", "must be a JSON object", func(p map[string]any) { p["alerts"] = append(p["alerts"].([]any), "x") }},
		{"negative truncated", "truncatedAlerts", "negative", func(p map[string]any) { p["truncatedAlerts"] = -1 }},
		{"bad group label", "groupLabels", `"1st"`, func(p map[string]any) { p["groupLabels"].(map[string]any)["1st"] = "x" }},
	} {
		_, err := Parse(edit(t, tc.fn))
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid || fe.Field != tc.field || !strings.Contains(fe.Message, tc.want) {
			t.Errorf("%s: got %v (field %q), want field %q with %q", tc.name, err, fieldOf(fe), tc.field, tc.want)
		}
	}
}

func fieldOf(fe *fault.Error) string {
	if fe == nil {
		return ""
	}
	return fe.Field
}

func TestMalformedBodies(t *testing.T) {
	for _, body := range []string{"", "  \n", "[]", `"x"`, `{"version":"4"`, `{"version":"4"} {}`, "\xff", "null"} {
		_, err := Parse([]byte(body))
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid || (fe.Field != "body" && fe.Field != "version") {
			t.Errorf("Parse(%q) = %v", body, err)
		}
	}
}

func TestSizeLimit(t *testing.T) {
	// A well-formed notification of about 10 MB: 1000 alerts with big annotations.
	body := edit(t, func(p map[string]any) {
		a := alert(p, 0)
		a["annotations"] = map[string]any{"description": strings.Repeat("x", 10_000)}
		alerts := make([]any, MaxAlerts)
		for i := range alerts {
			alerts[i] = a
		}
		p["alerts"] = alerts
	})
	if len(body) < 10_000_000 {
		t.Fatalf("body is only %d bytes", len(body))
	}
	_, err := Decode(bytes.NewReader(body), 0)
	if fe := fault.As(err); fe == nil || fe.Code != fault.TooLarge || fe.Field != "body" {
		t.Fatalf("10 MB body: %v", err)
	}
	// The size check, not the content, refused it: with a higher limit it decodes.
	if p, err := Decode(bytes.NewReader(body), int64(len(body))); err != nil || len(p.Alerts) != MaxAlerts {
		t.Fatalf("with limit %d: %v", len(body), err)
	}
	if _, err := Decode(bytes.NewReader(body), int64(len(body)-1)); fault.CodeOf(err) != fault.TooLarge {
		t.Fatalf("one byte over: %v", err)
	}
}

// FuzzParse checks that the decoder never panics, that what it accepts
// satisfies the documented invariants, and that a decoded payload encodes
// back to JSON that decodes to the same payload.
func FuzzParse(f *testing.F) {
	f.Add(fixture(f))
	f.Add([]byte(`{"version":"4","status":"resolved","alerts":[{"status":"resolved","labels":{"alertname":"A"},` +
		`"startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-01T00:05:00.5+01:00"}],"extra":[1,{"x":null}]}`))
	f.Add([]byte(`{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"a":"\u00e9\"\\"},"startsAt":"2026-01-01T00:00:00Z","fingerprint":"ABCDEF0123456789"}]}`))
	f.Add([]byte(`{"version":"3"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if fe := fault.As(err); fe == nil || fe.Field == "" {
				t.Fatalf("error %v names no field", err)
			}
			return
		}
		if p.Version != Version || len(p.Alerts) == 0 || len(p.Alerts) > MaxAlerts {
			t.Fatalf("accepted version %q with %d alerts", p.Version, len(p.Alerts))
		}
		for i, a := range p.Alerts {
			if !validFingerprint(a.Fingerprint) || a.Fingerprint != strings.ToLower(a.Fingerprint) ||
				a.StartsAt.IsZero() || a.StartsAt.Location() != time.UTC || len(a.Labels) == 0 ||
				(a.Status == Resolved && a.EndsAt.IsZero()) || DedupKey(a) != DedupKey(a) {
				t.Fatalf("alert %d violates invariants: %+v", i, a)
			}
		}
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		q, err := Parse(again)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", again, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip differs:\n%+v\n%+v", p, q)
		}
	})
}

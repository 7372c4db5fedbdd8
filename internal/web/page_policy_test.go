package web

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/environment"
)

func TestPolicyPageListsVersions(t *testing.T) {
	tw := newTestWeb(t)
	b := tw.signIn("aud")
	p := b.get("/policy")
	if p.status != 200 || !strings.Contains(p.body, "the built-in default") || !strings.Contains(p.body, "No version was ever stored") ||
		!strings.Contains(p.body, "root_cause_categories:") {
		t.Fatalf("policy page before any version: %d %s", p.status, p.body)
	}
	tw.apiCall("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 7\n# first <b>draft</b>\n"}`, 200)
	tw.apiCall("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 8\n"}`, 200)
	p = b.get("/policy")
	versions := between(p.body, "Stored policy versions", "</table>")
	i1, i2 := strings.Index(versions, `href="/policy/versions/1"`), strings.Index(versions, `href="/policy/versions/2"`)
	if i1 < 0 || i2 < 0 || i2 > i1 || !strings.Contains(between(versions, `versions/2"`, "</tr>"), "in force") {
		t.Fatalf("versions, newest first, 2 in force: %q", versions)
	}
	if !strings.Contains(p.body, "In force: version 2") || !strings.Contains(p.body, "version: 8") {
		t.Fatalf("policy in force: %s", between(p.body, "<h2>", "</pre>"))
	}
	v1 := b.get("/policy/versions/1")
	if v1.status != 200 || !strings.Contains(v1.body, "# first &lt;b&gt;draft&lt;/b&gt;") || strings.Contains(v1.body, "<b>draft") ||
		strings.Contains(v1.body, "badge ok\">in force") {
		t.Fatalf("version 1 (escaped text, not in force): %d %s", v1.status, v1.body)
	}
	if p := b.get("/policy/versions/9"); p.status != 404 {
		t.Fatalf("unknown version: %d", p.status)
	}
}

// The dry run answers for any time: prod-eu opens weekdays 09:00–17:00
// Berlin time, so the same release passes rule maintenance_window on a
// Tuesday at 10:00 and fails it on a Saturday, both in the past; it
// records nothing.
func TestPolicyDryRunAtAPastTime(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	_, err := tw.store.UpdateEnvironment(context.Background(), audit.System("test"), "prod-eu", 1, func(e *environment.Environment) error {
		e.Windows = []environment.Window{{Name: "office", TimeZone: "Europe/Berlin", Days: []string{"mon", "tue", "wed", "thu", "fri"},
			Start: "09:00", End: "17:00"}}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b := tw.signIn("aud")
	events, evals := tw.count("audit_events"), tw.count("gate_evaluations")
	tue := b.get("/policy/dry-run?release=REL-1&env=prod-eu&at=2025-01-07T10:00")
	window := between(tue.body, `<th scope="row">maintenance_window</th>`, "</tr>")
	if tue.status != 200 || !strings.Contains(window, "pass") || !strings.Contains(window, "2025-01-07 10:00 UTC") {
		t.Fatalf("Tuesday 10:00 UTC: %d %q", tue.status, window)
	}
	if !strings.Contains(tue.body, `datetime="2025-01-07T10:00:00Z"`) || !strings.Contains(tue.body, "badge bad\">blocked") {
		t.Fatalf("dry run facts: %s", between(tue.body, "<h2>", "</dl>"))
	}
	sat := b.get("/policy/dry-run?release=REL-1&env=prod-eu&at=2025-01-11T10:00")
	if w := between(sat.body, `<th scope="row">maintenance_window</th>`, "</tr>"); !strings.Contains(w, "fail") || !strings.Contains(w, "outside every maintenance window") {
		t.Fatalf("Saturday: %q", w)
	}
	if e, g := tw.count("audit_events"), tw.count("gate_evaluations"); e != events || g != evals {
		t.Fatalf("the dry run wrote: audit events %d → %d, gate evaluations %d → %d", events, e, evals, g)
	}
	if p := b.get("/policy/dry-run?release=REL-9&env=prod-eu"); p.status != 404 || !strings.Contains(p.body, "REL-9") {
		t.Fatalf("unknown release: %d", p.status)
	}
	if p := b.get("/policy/dry-run?release=REL-1&env=prod-eu&at=yesterday"); p.status != 400 || !strings.Contains(p.body, "at: must be a time") {
		t.Fatalf("bad time: %d", p.status)
	}
}

package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/policy"
)

// TestPolicyDryRunNamesTheStoredVersion: the dry run names the stored
// policy version it judged under, with that version's hash, as the API's
// recorded evaluation at the same moment does: after another replica
// stored a new version (once this server's check interval passed), and
// for an older version asked by number.
func TestPolicyDryRunNamesTheStoredVersion(t *testing.T) {
	tw := newTestWeb(t)
	releaseScenario(tw)
	tw.apiCall("admin", "PUT", "/api/v1/policy", `{"yaml":"version: 7\n"}`, 200)
	b := tw.signIn("aud")
	facts := func(query string) string {
		t.Helper()
		p := b.get("/policy/dry-run?release=REL-1&env=prod-eu" + query)
		if p.status != 200 {
			t.Fatalf("dry run%s: %d", query, p.status)
		}
		return between(p.body, "<dt>Policy</dt>", "</dd>")
	}
	v1 := policy.Default()
	v1.Version = 7
	if f := facts(""); !strings.Contains(f, `href="/policy/versions/1">version 1</a>`) || !strings.Contains(f, v1.Hash()) {
		t.Fatalf("dry run under version 1 (%s): %q", v1.Hash(), f)
	}
	v2 := policy.Default()
	v2.Version = 8
	if _, _, err := tw.store.SavePolicy(context.Background(), audit.System("replica-2"), "version: 8\n", v2.Hash(), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a replica looks at the stored version at most once a second
	f := facts("")
	var ev struct {
		PolicyVersion int64  `json:"policy_version"`
		PolicyHash    string `json:"policy_hash"`
	}
	if err := json.Unmarshal([]byte(tw.apiCall("bot", "POST", "/api/v1/gates/evaluate", `{"release":"REL-1","environment":"prod-eu"}`, 200)), &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f, `href="/policy/versions/2">version 2</a>`) || !strings.Contains(f, v2.Hash()) || ev.PolicyVersion != 2 || ev.PolicyHash != v2.Hash() {
		t.Fatalf("after another replica stored version 2 (%s): dry run %q, evaluation %+v", v2.Hash(), f, ev)
	}
	if f := facts("&version=1"); !strings.Contains(f, `href="/policy/versions/1">version 1</a>`) || !strings.Contains(f, v1.Hash()) {
		t.Fatalf("dry run under version 1 asked by number: %q", f)
	}
}

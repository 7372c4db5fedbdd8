package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyShowApply: apply stores a new version (audited), show reads it
// back, an invalid file is refused (exit 2) and the policy in force stays,
// a pipeline cannot apply.
func TestPolicyShowApply(t *testing.T) {
	s, url, bot := gateServer(t)
	admin := []string{"--url", url, "--token", "fgt_admin"}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("approvals:\n  high: [{role: cab_member, count: 2}]\n"), 0o600)
	os.WriteFile(bad, []byte("gate:\n  rules:\n    canary: {min_risk: high}\n"), 0o600)

	code, out := runGate(t, append(admin, "policy", "show")...)
	if code != 0 || !strings.Contains(out, "default") {
		t.Fatalf("show default: %d\n%s", code, out)
	}
	events := func() int64 {
		n, _, err := s.VerifyAudit(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := events()
	code, out = runGate(t, append(admin, "policy", "apply", good)...)
	if code != 0 || !strings.Contains(out, "stored") || events() != before+1 {
		t.Fatalf("apply: %d\n%s", code, out)
	}
	if code, _ := runGate(t, append(admin, "policy", "apply", bad)...); code != 2 || events() != before+1 {
		t.Fatalf("invalid file: exit %d", code)
	}
	if code, _ := runGate(t, append(bot, "policy", "apply", good)...); code != 2 { // refused (403); the json show below proves version 1 stays
		t.Fatalf("pipeline apply: exit %d", code)
	}
	code, out = runGate(t, append(admin, "policy", "show", "--yaml")...)
	if code != 0 || !strings.Contains(out, "count: 2") {
		t.Fatalf("show --yaml: %d\n%s", code, out)
	}
	code, out = runGate(t, append(admin, "policy", "show", "-o", "json")...)
	if code != 0 || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("show json: %d\n%s", code, out)
	}
}

package main

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/environment"
)

// TestCycleCLI: create a cycle, target PRB-1, show it with the problem's
// state and release, list it, plan; bad dates and unknown problems are refused.
func TestCycleCLI(t *testing.T) {
	s, rita, aud := tagServer(t)
	if _, err := s.CreateEnvironment(context.Background(), audit.Actor{User: "admin", Role: "admin"},
		environment.Environment{Name: "prod", Tier: environment.Production}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, append(rita, "cycle", "create", "train-03", "--from", "2026-03-01", "--to", "2026-03-31", "--env", "prod")...)
	if code != 0 || !strings.Contains(out, "CYC-1") {
		t.Fatalf("create: exit %d %s %s", code, out, stderr)
	}
	if code, _, stderr = runCLI(t, append(rita, "cycle", "create", "x", "--from", "March", "--to", "2026-03-31", "--env", "prod")...); code != 2 || !strings.Contains(stderr, "from: ") {
		t.Fatalf("bad date: exit %d %s", code, stderr)
	}
	if code, _, stderr = runCLI(t, append(rita, "cycle", "add", "train-03", "PRB-9")...); code != 2 || !strings.Contains(stderr, "problem") {
		t.Fatalf("unknown problem: exit %d %s", code, stderr)
	}
	if code, out, stderr = runCLI(t, append(rita, "cycle", "add", "train-03", "PRB-1")...); code != 0 || !strings.Contains(out, "PRB-1") {
		t.Fatalf("add: exit %d %s %s", code, out, stderr)
	}
	code, out, _ = runCLI(t, append(aud, "cycle", "show", "CYC-1")...)
	if code != 0 || !strings.Contains(out, "PRB-1") || !strings.Contains(out, "REL-1 1.4.3 (planned)") || !strings.Contains(out, "Checkout times out") {
		t.Fatalf("show: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append(aud, "cycle", "list")...); code != 0 || !strings.Contains(out, "train-03") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append(aud, "cycle", "plan", "--since", "30d")...); code != 0 || !strings.Contains(out, "RANK") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append(rita, "cycle", "remove", "CYC-1", "PRB-1")...); code != 0 || strings.Contains(out, "PRB-1") {
		t.Fatalf("remove: exit %d\n%s", code, out)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
)

// TestProblemResolveAndRCADocCommands: the RCA document stays when the RCA
// is recorded again without --doc and goes with --remove-doc; the fix waits
// for a validated RCA; a hand move to resolved needs a deviation another
// problem_manager approved. Refusals exit 2 with one line on stderr.
func TestProblemResolveAndRCADocCommands(t *testing.T) {
	s, url, _ := gateServer(t)
	tokens := map[string]string{}
	for name, role := range map[string]auth.Role{"pat": auth.ProblemManager, "quinn": auth.ProblemManager, "eng": auth.Engineer} {
		_, tok, err := s.CreateUser(context.Background(), audit.Actor{User: "admin", Role: "admin"}, auth.User{Name: name, Roles: []auth.Role{role}})
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tok
	}
	run := func(user string, want int, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, append([]string{"--url", url, "--token", tokens[user]}, args...)...)
		if code != want || (want == 2 && strings.Count(strings.TrimSpace(errOut), "\n") != 0) {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		return out
	}
	doc := filepath.Join(t.TempDir(), "rca.md")
	if err := os.WriteFile(doc, []byte("# RCA\npool too small\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run("pat", 0, "problem", "create", "--title", "Checkout 500s", "--priority", "2")
	run("pat", 0, "problem", "move", "PRB-1", "assess")
	run("pat", 0, "problem", "move", "PRB-1", "rca")
	run("eng", 0, "problem", "rca", "PRB-1", "--category", "capacity", "--summary", "pool too small", "--doc", doc)
	if out := run("eng", 0, "problem", "rca", "PRB-1", "--category", "capacity", "--summary", "pool too small for retries", "-o", "json"); !strings.Contains(out, `"doc_sha256": "`) {
		t.Fatalf("re-recorded without --doc lost the document: %s", out)
	}
	run("eng", 2, "problem", "rca", "PRB-1", "--category", "capacity", "--summary", "x", "--doc", doc, "--remove-doc")
	if out := run("eng", 0, "problem", "rca", "PRB-1", "--category", "capacity", "--summary", "pool too small", "--remove-doc", "-o", "json"); strings.Contains(out, "doc_sha256") {
		t.Fatalf("--remove-doc kept the document: %s", out)
	}
	run("pat", 2, "problem", "move", "PRB-1", "fix_in_progress")
	run("pat", 0, "problem", "validate-rca", "PRB-1", "--comment", "pool metrics agree")
	run("pat", 0, "problem", "move", "PRB-1", "fix_in_progress")
	run("pat", 2, "problem", "move", "PRB-1", "resolved")
	run("pat", 2, "problem", "move", "PRB-1", "resolved", "--deviation-reason", "pool resized on the hosts", "--approved-by", "pat")
	run("pat", 2, "problem", "move", "PRB-1", "rca", "--deviation-reason", "x", "--approved-by", "quinn")
	if out := run("pat", 0, "problem", "move", "PRB-1", "resolved", "--deviation-reason", "pool resized on the hosts", "--approved-by", "quinn"); !strings.Contains(out, "resolved") {
		t.Fatalf("resolve: %s", out)
	}
}

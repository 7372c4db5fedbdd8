package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fixgate/internal/auth"
)

// runWithStdin is runCLI with stdin read from text.
func runWithStdin(t *testing.T, text string, args ...string) (int, string, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	return runCLI(t, args...)
}

// TestUserPasswordStdin: user create --password-stdin sets the password
// from stdin's first line (its line ending stripped); a password the policy
// refuses creates no user; user password sets it, and a person's own change
// needs the current password (--current).
func TestUserPasswordStdin(t *testing.T) {
	s, url, _ := gateServer(t)
	ctx := context.Background()
	admin := []string{"--url", url, "--token", "fgt_admin"}
	const pw, pw2 = "correct horse battery", "another long passphrase"

	code, out, errs := runWithStdin(t, pw+"\r\n", append(admin, "user", "create", "alice", "--role", "engineer", "--password-stdin")...)
	if code != 0 || !strings.Contains(out, "token:") {
		t.Fatalf("create: exit %d: %s %s", code, out, errs)
	}
	if h, _ := s.PasswordHash(ctx, "alice"); !auth.CheckPassword(h, pw) {
		t.Fatal("the password from stdin was not set")
	}
	code, _, errs = runWithStdin(t, "short\n", append(admin, "user", "create", "bob", "--role", "engineer", "--password-stdin")...)
	if code != 2 || !strings.Contains(errs, "password: must have at least") {
		t.Fatalf("short password: exit %d: %s", code, errs)
	}
	if _, err := s.GetUser(ctx, "bob"); err == nil {
		t.Fatal("a refused password left a user behind")
	}

	code, out, errs = runWithStdin(t, pw2+"\n", append(admin, "user", "password", "alice", "--password-stdin")...)
	if code != 0 || !strings.Contains(out, "has_password:") {
		t.Fatalf("user password: exit %d: %s %s", code, out, errs)
	}
	// alice for herself, with a token of her own: the current password is required.
	tok := strings.TrimSpace(strings.SplitN(strings.SplitN(mustRun(t, append(admin, "user", "token", "alice")...), "token:", 2)[1], "\n", 2)[0])
	self := []string{"--url", url, "--token", tok, "user", "password", "alice", "--password-stdin"}
	if code, _, errs := runWithStdin(t, pw+"\n", self...); code != 2 || !strings.Contains(errs, "current_password") {
		t.Fatalf("own change without the current password: exit %d: %s", code, errs)
	}
	if code, _, errs := runWithStdin(t, pw2+"\n"+pw+"\n", append(self, "--current")...); code != 0 {
		t.Fatalf("own change with the current password: exit %d: %s", code, errs)
	}
	if h, _ := s.PasswordHash(ctx, "alice"); !auth.CheckPassword(h, pw) {
		t.Fatal("the own change was not stored")
	}
	if code, _, errs := runWithStdin(t, "", append(admin, "user", "password", "alice", "--password-stdin")...); code != 2 || !strings.Contains(errs, "password-stdin") {
		t.Fatalf("empty stdin: exit %d: %s", code, errs)
	}
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("fixgate %v: exit %d: %s", args, code, errs)
	}
	return out
}

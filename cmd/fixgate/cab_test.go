package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
)

// TestCABCommands: create, list, show, agenda and decide through the CLI;
// a non-attendee's decision fails with exit 2.
func TestCABCommands(t *testing.T) {
	s, url, bot := gateServer(t)
	_, tok, err := s.CreateUser(context.Background(), audit.Actor{User: "admin", Role: "admin"},
		auth.User{Name: "chair", Roles: []auth.Role{auth.CABMember}})
	if err != nil {
		t.Fatal(err)
	}
	admin := []string{"--url", url, "--token", "fgt_admin"}
	chair := []string{"--url", url, "--token", tok}
	run := func(flags []string, want int, args ...string) string {
		t.Helper()
		code, out := runGate(t, append(flags, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s", args, code, want, out)
		}
		return out
	}
	run(admin, 2, "change", "create", "--title", "risky", "--type", "normal", "--release", "REL-2", "--env", "staging", "--risk-class", "high")
	out := run(admin, 0, "change", "create", "--title", "risky", "--type", "normal", "--release", "REL-2", "--env", "staging",
		"--risk-class", "high", "--risk-justification", "schema migration")
	if !strings.Contains(out, "schema migration") {
		t.Fatalf("change %s", out)
	}
	run(admin, 0, "change", "move", "CHG-1", "assess")
	run(admin, 0, "change", "move", "CHG-1", "authorize")
	out = run(admin, 0, "cab", "create", "--title", "weekly", "--at", "2026-12-01T15:00:00+01:00", "--attendee", "chair,admin")
	if !strings.Contains(out, "CAB-1") || !strings.Contains(out, "2026-12-01T14:00:00Z") {
		t.Fatalf("create %s", out)
	}
	if out = run(bot, 0, "cab", "list"); !strings.Contains(out, "CAB-1") {
		t.Fatalf("list %s", out)
	}
	if out = run(bot, 0, "cab", "show", "CAB-1", "-o", "json"); !strings.Contains(out, `"attendees"`) {
		t.Fatalf("show %s", out)
	}
	if out = run(bot, 0, "cab", "agenda", "CAB-1"); !strings.Contains(out, "CHG-1") || !strings.Contains(out, "high") {
		t.Fatalf("agenda %s", out)
	}
	run(bot, 2, "cab", "decide", "CAB-1", "CHG-1")
	if out = run(chair, 0, "cab", "decide", "CAB-1", "CHG-1", "--comment", "ok"); !strings.Contains(out, "CAB-1") || !strings.Contains(out, "chair") {
		t.Fatalf("decide %s", out)
	}
}

// TestCABMoveAndUpdateCommands: update attendees, move held then closed
// with the minutes (text and json); bad input, an illegal move and a
// refused edit exit 2 with one stderr line naming why.
func TestCABMoveAndUpdateCommands(t *testing.T) {
	_, url, bot := gateServer(t)
	admin := []string{"--url", url, "--token", "fgt_admin"}
	ok := func(flags []string, args ...string) string {
		t.Helper()
		code, out, errs := runCLI(t, append(flags, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errs)
		}
		return out
	}
	fails := func(flags []string, want string, args ...string) {
		t.Helper()
		code, out, errs := runCLI(t, append(flags, args...)...)
		if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, want) {
			t.Fatalf("%v: exit %d, stderr %q (want one line with %q)\n%s", args, code, errs, want, out)
		}
	}
	ok(admin, "cab", "create", "--title", "weekly", "--at", "2026-12-01T15:00:00+01:00", "--attendee", "cab")
	fails(admin, "nothing to change", "cab", "update", "CAB-1")
	fails(admin, "accepts 2 arg", "cab", "move", "CAB-1")
	fails(admin, "allowed: held, canceled", "cab", "move", "CAB-1", "closed", "--comment", "minutes")
	fails(admin, "ghost", "cab", "update", "CAB-1", "--attendee", "cab,ghost")
	fails(bot, "", "cab", "move", "CAB-1", "held")
	if out := ok(admin, "cab", "update", "CAB-1", "--attendee", "cab,admin"); !strings.Contains(out, "admin,cab") {
		t.Fatalf("update %s", out)
	}
	if out := ok(admin, "cab", "move", "CAB-1", "held"); !strings.Contains(out, "status:         held") {
		t.Fatalf("held %s", out)
	}
	fails(admin, "minutes", "cab", "move", "CAB-1", "closed")
	var m map[string]any
	if err := json.Unmarshal([]byte(ok(admin, "cab", "move", "CAB-1", "closed", "--comment", "wiki/cab-1", "-o", "json")), &m); err != nil ||
		m["status"] != "closed" || m["minutes"] != "wiki/cab-1" || m["revision"] != float64(4) {
		t.Fatalf("closed %v %v", m, err)
	}
	fails(admin, "closed", "cab", "update", "CAB-1", "--title", "late")
}

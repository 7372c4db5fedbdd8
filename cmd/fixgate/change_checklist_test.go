package main

import (
	"strings"
	"testing"
)

// TestChangeChecklistCommands: `change checklist` shows what is missing,
// `change check` ticks an item (the gate then allows), `change uncheck`
// withdraws it (blocked again), and an item not on the list exits 2 with
// one line naming item.
func TestChangeChecklistCommands(t *testing.T) {
	_, url, bot := gateServer(t)
	admin := []string{"--url", url, "--token", "fgt_admin"}
	run := func(who []string, want int, args ...string) string { // stdout, or stderr for a failure
		t.Helper()
		code, out, errOut := runCLI(t, append(who, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		if want == 2 {
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("%v: stderr must be one line: %q", args, errOut)
			}
			return errOut
		}
		return out
	}
	run(admin, 0, "change", "create", "--title", "leak fix", "--change-model", "memory-leak-patch", "--release", "REL-2", "--env", "staging")
	if out := run(bot, 1, "gate", "check", "REL-2", "--env", "staging"); !strings.Contains(out, "is not ticked on CHG-1") {
		t.Fatalf("gate before the ticks:\n%s", out)
	}
	out := run(admin, 0, "change", "checklist", "CHG-1")
	if !strings.Contains(out, "[ ] heap profile before/after attached  (policy)") || !strings.Contains(out, "missing: 2 of 2") {
		t.Fatalf("checklist:\n%s", out)
	}
	if e := run(admin, 2, "change", "check", "CHG-1", "--item", "heap profile"); !strings.Contains(e, "item:") || !strings.Contains(e, "is not on the checklist of CHG-1") {
		t.Fatalf("unknown item: %s", e)
	}
	out = run(admin, 0, "change", "check", "CHG-1", "--item", "heap profile before/after attached", "--evidence", "https://wiki.example/heap")
	if !strings.Contains(out, "[x] heap profile before/after attached  (policy)  by admin at ") || !strings.Contains(out, "evidence: https://wiki.example/heap") ||
		!strings.Contains(out, "missing: 1 of 2") {
		t.Fatalf("after check:\n%s", out)
	}
	run(admin, 0, "change", "check", "CHG-1", "--item", "soak test of at least 24h passed")
	if out := run(bot, 0, "gate", "check", "REL-2", "--env", "staging"); !strings.Contains(out, "are ticked") {
		t.Fatalf("gate after the ticks:\n%s", out)
	}
	if out := run(admin, 0, "change", "uncheck", "CHG-1", "--item", "soak test of at least 24h passed", "-o", "json"); !strings.Contains(out, `"missing": [
    "soak test of at least 24h passed"
  ]`) {
		t.Fatalf("uncheck:\n%s", out)
	}
	run(bot, 1, "gate", "check", "REL-2", "--env", "staging")
	if e := run(bot, 2, "change", "check", "CHG-1", "--item", "soak test of at least 24h passed"); !strings.Contains(e, "needs one of the roles") {
		t.Fatalf("a pipeline ticks: %s", e)
	}
}

package main

import (
	"strings"
	"testing"
)

// TestChangeModelAndDeviationCommands: `change create --change-model` without
// --type takes the model's default type, an unknown model exits 2 naming
// change_model, and `change deviation --from --to` records a bounded
// deviation (to before from exits 2 naming to).
func TestChangeModelAndDeviationCommands(t *testing.T) {
	_, url, _ := gateServer(t)
	admin := []string{"--url", url, "--token", "fgt_admin"}
	run := func(want int, args ...string) string { // stdout, or stderr for a failure
		t.Helper()
		code, out, errOut := runCLI(t, append(admin, args...)...)
		if code != want {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, code, want, out, errOut)
		}
		if want != 0 {
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("%v: stderr must be one line: %q", args, errOut)
			}
			return errOut
		}
		return out
	}
	out := run(0, "change", "create", "--title", "leak fix", "--change-model", "memory-leak-patch", "--release", "REL-2", "--env", "staging", "-o", "json")
	if !strings.Contains(out, `"type": "normal"`) && !strings.Contains(out, `"type":"normal"`) {
		t.Fatalf("default type: %s", out)
	}
	if out = run(2, "change", "create", "--title", "x", "--change-model", "no-such-model"); !strings.Contains(out, "change_model") {
		t.Fatalf("unknown model: %s", out)
	}
	if out = run(2, "change", "deviation", "CHG-1", "--step", "maintenance_window", "--reason", "weekend", "--approved-by", "cab",
		"--from", "2026-12-05T12:00:00Z", "--to", "2026-12-05T09:00:00Z"); !strings.Contains(out, "to: must be after from") {
		t.Fatalf("to before from: %s", out)
	}
	out = run(0, "change", "deviation", "CHG-1", "--step", "maintenance_window", "--reason", "weekend", "--approved-by", "cab",
		"--from", "2026-12-05T09:00:00Z", "--to", "2026-12-05T12:00:00Z", "-o", "json")
	if !strings.Contains(out, "2026-12-05T12:00:00Z") {
		t.Fatalf("bounded deviation: %s", out)
	}
}

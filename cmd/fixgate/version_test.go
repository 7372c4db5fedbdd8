package main

import (
	"runtime"
	"strings"
	"testing"

	"fixgate/internal/demo"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "fixgate ") || !strings.Contains(out, "commit ") || !strings.Contains(out, runtime.Version()) {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
	}
}

// TestUnknownSubcommandIsUsageError: a word that names no command is exit 2
// with one line on stderr, at the root and below a group; a group alone
// still shows its help.
func TestUnknownSubcommandIsUsageError(t *testing.T) {
	for _, args := range [][]string{{"bogus"}, {"problem", "bogus"}, {"audit", "bogus"}, {"problem", "signature", "bogus"}} {
		code, out, errs := runCLI(t, args...)
		if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, `unknown command "bogus"`) {
			t.Errorf("%v: %d %q %q", args, code, out, errs)
		}
	}
	if code, out, _ := runCLI(t, "problem"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("problem alone: %d %q", code, out)
	}
}

// TestDemoExports: the demo prints one export line the README's walk-through
// pastes: a variable per user, dashes as underscores, each with its token.
func TestDemoExports(t *testing.T) {
	got := demoExports(demo.Result{Users: []demo.UserToken{{Name: "pat", Token: "fgt_a"}, {Name: "ci-bot", Token: "fgt_b"}}})
	if got != "export PAT=fgt_a CI_BOT=fgt_b" {
		t.Fatalf("%q", got)
	}
}

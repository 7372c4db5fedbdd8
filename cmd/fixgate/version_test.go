package main

import (
	"runtime"
	"strings"
	"testing"
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

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPolicyCommandsExitCodes: check is 0 for a valid file and 2 for an
// invalid one; test is 0 when every case passes, 1 when one fails, 2 when a
// file is invalid.
func TestPolicyCommandsExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	example := "../../docs/policy.example.yaml"
	cases := "../../internal/gate/testdata/cases.yaml"
	bad := write("bad.yaml", "gate:\n  rules:\n    canary: {min_risk: high}\n")
	strict := write("strict.yaml", "approvals:\n  high: [{role: cab_member, count: 2}]\n")
	badCases := write("cases.yaml", "cases: []\n")
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"policy", "check", example}, 0},
		{[]string{"policy", "check", "-o", "json", example}, 0},
		{[]string{"policy", "check", bad}, 2},
		{[]string{"policy", "check", filepath.Join(dir, "missing.yaml")}, 2},
		{[]string{"policy", "test", example, cases}, 0},
		{[]string{"policy", "test", "-o", "json", example, cases}, 0},
		{[]string{"policy", "test", strict, cases}, 1},
		{[]string{"policy", "test", bad, cases}, 2},
		{[]string{"policy", "test", example, badCases}, 2},
	}
	stdout := os.Stdout
	devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	os.Stdout = devnull
	defer func() { os.Stdout = stdout }()
	for _, tt := range tests {
		if got := run(tt.args); got != tt.want {
			t.Errorf("fixgate %v: exit %d, want %d", tt.args, got, tt.want)
		}
	}
}

package gate_test

import (
	"os"
	"strings"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

func TestCasesFile(t *testing.T) {
	data, err := os.ReadFile("testdata/cases.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases, err := gate.ParseCases(data)
	if err != nil {
		t.Fatalf("cases refused: %v", err)
	}
	if len(cases) != 4 {
		t.Fatalf("%d cases, want 4", len(cases))
	}
	for _, r := range gate.RunCases(policy.Default(), cases) {
		if !r.Pass {
			t.Errorf("case %q: %v", r.Name, r.Mismatches)
		}
	}
	// A stricter policy makes the first case fail, and says why.
	strict := mustPolicy(t, "approvals: {high: [{role: cab_member, count: 2}]}")
	res := gate.RunCases(strict, cases[:1])
	if res[0].Pass || len(res[0].Mismatches) != 2 ||
		!strings.Contains(res[0].Mismatches[0], "decision is blocked, want allowed (approvals: risk class high") ||
		!strings.Contains(res[0].Mismatches[1], "rule approvals is fail, want pass") {
		t.Errorf("mismatches = %q", res[0].Mismatches)
	}
}

func TestParseCasesRefusals(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"cases: []\n", "line 1: cases must be a non-empty list"},
		{"tests: []\n", `line 1: unknown key "tests"`},
		{"cases:\n  - name: a\n    expect: maybe\n    now: 2026-01-01T00:00:00Z\n", "line 2: case 1: a: expect must be allowed, blocked or undecided"},
		{"cases:\n  - name: a\n    expect: allowed\n    now: 2026-01-01T00:00:00Z\n    input: {releas: {}}\n", `line 2: case 1: unknown field "releas"`},
		{"cases:\n  - name: a\n    expect: allowed\n", "needs now (or input.at)"},
		{"cases:\n  - name: a\n    expect: allowed\n    now: 2026-01-01T00:00:00Z\n    expect_rules: {canary: green}\n", "expect_rules.canary must be pass, fail, warn or skip"},
		{"cases:\n  - {name: a, expect: allowed, now: 2026-01-01T00:00:00Z}\n  - {name: a, expect: allowed, now: 2026-01-01T00:00:00Z}\n", `line 3: case 2: name "a" is used twice`},
		{"cases:\n  - name: a\n    expect: allowed\n    now: 2026-01-01T00:00:00\n", "case 1"},
	}
	for _, tt := range tests {
		_, err := gate.ParseCases([]byte(tt.yaml))
		fe := fault.As(err)
		if fe == nil || fe.Field != "cases" || !strings.Contains(fe.Message, tt.want) {
			t.Errorf("ParseCases(%q) = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}

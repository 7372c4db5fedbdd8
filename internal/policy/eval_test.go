package policy_test

import (
	"strings"
	"testing"

	"fixgate/internal/policy"
)

// check parses a template with one prometheus check with the given
// conditions ("" leaves one out) and returns it.
func check(t *testing.T, success, failure string) *policy.PrometheusCheck {
	t.Helper()
	y := tmpl("          query: up\n")
	if success != "" {
		y += "          success_condition: '" + success + "'\n"
	}
	if failure != "" {
		y += "          failure_condition: '" + failure + "'\n"
	}
	tp, _ := mustParse(t, y).Template("t")
	return tp.Checks[0].Prometheus
}

func series(values ...float64) []any {
	out := []any{}
	for i, v := range values {
		out = append(out, map[string]any{"labels": map[string]string{"pod": string(rune('a' + i))}, "value": v})
	}
	return out
}

func TestEval(t *testing.T) {
	tests := []struct {
		name, success, failure string
		result                 any
		wantS, wantF           bool
	}{
		{"failure only, above", "", "result > 0.05", 0.07, false, true},
		{"failure only, below", "", "result > 0.05", 0.01, true, false},
		{"success only, holds", "result < 0.05", "", 0.01, true, false},
		{"success only, fails", "result < 0.05", "", 0.07, false, true},
		{"both, neither holds", "result < 0.01", "result > 0.05", 0.03, false, false},
		{"both, failure holds", "result < 0.01", "result > 0.05", 0.09, false, true},
		{"int literal against float", "result <= 1", "", 1.0, true, false},
		{"any series", "", "result.exists(s, s.value > 1)", series(0.5, 1.5), false, true},
		{"no series over", "", "result.exists(s, s.value > 1)", series(0.5, 0.7), true, false},
		{"all series", "result.all(s, s.value < 1)", "", series(0.5, 0.7), true, false},
		{"not all series", "result.all(s, s.value < 1)", "", series(0.5, 1.7), false, true},
		{"labels", "", "result.exists(s, s.labels.pod == \"b\" && s.value > 1)", series(5, 1.5), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := check(t, tt.success, tt.failure)
			s, f, err := c.Eval(tt.result)
			if err != nil || s != tt.wantS || f != tt.wantF {
				t.Errorf("Eval(%v) = success %v, failure %v, %v; want %v, %v", tt.result, s, f, err, tt.wantS, tt.wantF)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name, success, failure string
		result                 any
		want                   string
	}{
		{"non-bool", "result", "", 0.5, "success_condition: the expression gave double, not a boolean"},
		{"several series, scalar condition", "", "result > 0.05", series(0.01, 0.02), "failure_condition: "},
		{"scalar, list condition", "result.all(s, s.value < 1)", "", 0.5, "success_condition: "},
		{"missing key", "result.all(s, s.val < 1)", "", series(0.1), "no such key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := check(t, tt.success, tt.failure)
			s, f, err := c.Eval(tt.result)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Eval(%v) = %v, %v, %v; want an error containing %q", tt.result, s, f, err, tt.want)
			}
			if s || f {
				t.Errorf("an error came with success %v, failure %v", s, f)
			}
		})
	}
	if _, _, err := (&policy.PrometheusCheck{Query: "up"}).Eval(1.0); err == nil || !strings.Contains(err.Error(), "no condition") {
		t.Errorf("Eval without a condition = %v, want an error", err)
	}
	if _, _, err := (&policy.PrometheusCheck{Query: "up", FailureCondition: "result > 1"}).Eval(1.0); err == nil || !strings.Contains(err.Error(), "not compiled") {
		t.Errorf("Eval of a check that was never compiled = %v, want an error", err)
	}
}

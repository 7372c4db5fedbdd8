package problem

import (
	"strings"
	"testing"
	"time"
)

// TestClosureGaps: each closure condition is judged from the facts and now
// alone, and every unmet one is named.
func TestClosureGaps(t *testing.T) {
	now := time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	resolvedAt, until := now.Add(-10*24*time.Hour), now.Add(-time.Hour)
	done := Problem{Status: Resolved, ResolvedAt: &resolvedAt, ObservationUntil: &until}
	all := ClosureFacts{CompletedPIRs: 1, Confirmations: 1}
	later := until.Add(2 * time.Hour)
	running := done
	running.ObservationUntil = &later
	cases := []struct {
		name string
		p    Problem
		f    ClosureFacts
		want []string
	}{
		{"ready", done, all, nil},
		{"observation running", running, all, []string{CondObservation}},
		{"recurred", done, ClosureFacts{Recurrences: 2, CompletedPIRs: 1, Confirmations: 1}, []string{CondNoRecurrence}},
		{"no pir, no confirmation", done, ClosureFacts{}, []string{CondPIR, CondConfirmation}},
		{"not resolved", Problem{Status: FixInProgress}, all, []string{CondResolved, CondConfirmation}},
	}
	for _, c := range cases {
		gaps := ClosureGaps(c.p, c.f, now)
		var got []string
		for _, g := range gaps {
			got = append(got, g.Condition)
			if g.Message == "" {
				t.Errorf("%s: gap %s has no message", c.name, g.Condition)
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: gaps %v, want %v", c.name, got, c.want)
		}
	}
	if g := ClosureGaps(running, all, now); !strings.Contains(g[0].Message, later.Format(time.RFC3339)) {
		t.Errorf("the observation gap does not say when it ends: %q", g[0].Message)
	}
}

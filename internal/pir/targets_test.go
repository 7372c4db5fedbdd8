package pir

import (
	"testing"
	"time"

	"fixgate/internal/policy"
)

// TestEvaluateTargets: each target passes or fails from the counts and the
// mean time to resolve, is pending until the after window ends, and is not
// evaluable without data (or without Prometheus for a PromQL target).
func TestEvaluateTargets(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	w := Windows{At: at, Length: 14 * 24 * time.Hour}
	eighty, ratio := 80.0, 0.01
	tg := policy.Targets{IncidentRateReduction: &eighty, MTTRBelow: policy.Duration(4 * time.Hour),
		ErrorRatioQuery: "sum(rate(errors[5m]))", ErrorRatioBelow: &ratio}
	mttr := 3 * time.Hour
	after := at.Add(15 * 24 * time.Hour)
	cases := []struct {
		name string
		m    Measured
		now  time.Time
		want []string
	}{
		{"met", Measured{Windows: w, Before: 10, After: 2, MTTRAfter: &mttr}, after, []string{TargetMet, TargetMet, TargetNotEvaluable}},
		{"missed", Measured{Windows: w, Before: 10, After: 3, MTTRAfter: ptr(5 * time.Hour)}, after, []string{TargetMissed, TargetMissed, TargetNotEvaluable}},
		{"pending", Measured{Windows: w, Before: 10, After: 0}, at.Add(time.Hour), []string{TargetPending, TargetPending, TargetNotEvaluable}},
		{"no data", Measured{Windows: w}, after, []string{TargetNotEvaluable, TargetNotEvaluable, TargetNotEvaluable}},
	}
	for _, c := range cases {
		rs := Evaluate(tg, c.m, c.now)
		if len(rs) != 3 {
			t.Fatalf("%s: %d results", c.name, len(rs))
		}
		for i, r := range rs {
			if r.Outcome != c.want[i] {
				t.Errorf("%s: %s = %s (%s), want %s", c.name, r.Target, r.Outcome, r.Reason, c.want[i])
			}
		}
	}
	if got := Evaluate(tg, cases[1].m, after)[0].Got; got == nil || *got != 70 {
		t.Fatalf("reduction of 10 → 3: %v, want 70", got)
	}
	f := FixTargets{Results: Evaluate(tg, cases[1].m, after)}
	if f.Verdict() != TargetMissed {
		t.Fatalf("verdict %s, want fail", f.Verdict())
	}
}

func ptr(d time.Duration) *time.Duration { return &d }

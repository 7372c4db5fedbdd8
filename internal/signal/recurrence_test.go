package signal

import (
	"strings"
	"testing"
	"time"

	"fixgate/internal/problem"
)

func TestDecide(t *testing.T) {
	resolvedAt, until := at(0), at(14*24*h)
	for _, tc := range []struct {
		name    string
		p       ProblemState
		at      time.Time
		outcome string
		reopen  bool
		reason  string
	}{
		{"recurrence inside the period", ProblemState{problem.Resolved, resolvedAt, until}, t0.Add(3 * 24 * h), Recurrence, true, "inside the observation period"},
		{"recurrence at the very start", ProblemState{problem.Resolved, resolvedAt, until}, t0, Recurrence, true, "reopens"},
		{"one second before the end", ProblemState{problem.Resolved, resolvedAt, until}, until.Add(-time.Second), Recurrence, true, ""},
		{"at the end: period over", ProblemState{problem.Resolved, resolvedAt, until}, *until, AfterObservation, false, "after the observation period ended"},
		{"after the period, not yet closed", ProblemState{problem.Resolved, resolvedAt, until}, until.Add(24 * h), AfterObservation, false, "open or link a new one"},
		{"began before the fix went live", ProblemState{problem.Resolved, resolvedAt, until}, t0.Add(-time.Minute), BeforeFix, false, "before the fix went live"},
		{"open problem", ProblemState{Status: problem.RCA}, t0, BeforeFix, false, "no fix is live"},
		{"fix in progress after a reopen", ProblemState{problem.FixInProgress, resolvedAt, nil}, t0.Add(h), BeforeFix, false, "fix_in_progress"},
		{"closed, late-delivered recurrence", ProblemState{problem.Closed, resolvedAt, until}, t0.Add(h), Recurrence, false, "does not reopen"},
		{"closed, after the period", ProblemState{problem.Closed, resolvedAt, until}, until.Add(h), AfterObservation, false, ""},
		{"closed, before the fix", ProblemState{problem.Closed, resolvedAt, until}, t0.Add(-h), BeforeFix, false, ""},
		{"canceled", ProblemState{problem.Canceled, nil, nil}, t0, Ignored, false, "canceled"},
		{"resolved without resolution time", ProblemState{problem.Resolved, nil, until}, t0, Ignored, false, "no resolution time"},
		{"resolved without an end", ProblemState{problem.Resolved, resolvedAt, nil}, t0.Add(400 * 24 * h), Recurrence, true, "no observation end"},
		{"unknown status", ProblemState{Status: "weird"}, t0, Ignored, false, "unknown problem status"},
		{"no signal time", ProblemState{problem.Resolved, resolvedAt, until}, time.Time{}, Ignored, false, "no start time"},
	} {
		d := Decide(tc.p, tc.at)
		if d.Outcome != tc.outcome || d.Reopen != tc.reopen || d.Reason == "" || !strings.Contains(d.Reason, tc.reason) {
			t.Errorf("%s: %+v, want %s reopen=%v with %q", tc.name, d, tc.outcome, tc.reopen, tc.reason)
		}
	}
}

// TestDecideAgreesWithProblemLifecycle checks the decision against the
// problem record itself: a reopen is a legal move exactly when Decide says
// so, and the period boundary is the one Problem.Close uses to allow closing.
func TestDecideAgreesWithProblemLifecycle(t *testing.T) {
	p := &problem.Problem{Status: problem.FixInProgress, Priority: 3}
	if err := p.Resolve("eve", t0, problem.DefaultObservation[3], problem.Facts{Fix: "DEP-1"}); err != nil {
		t.Fatal(err)
	}
	state := ProblemState{Status: p.Status, ObservationStart: p.ResolvedAt, ObservationEnd: p.ObservationUntil}
	end := *p.ObservationUntil
	if d := Decide(state, end.Add(-time.Nanosecond)); !d.Reopen {
		t.Fatalf("inside: %+v", d)
	}
	closer := *p
	if err := closer.Close(end.Add(-time.Nanosecond)); err == nil {
		t.Fatal("closing inside the period was allowed")
	}
	if d := Decide(state, end); d.Reopen || d.Outcome != AfterObservation {
		t.Fatalf("at end: %+v", d)
	}
	if err := closer.Close(end); err != nil {
		t.Fatalf("closing at the end refused: %v", err)
	}
	if err := p.Move(problem.FixInProgress, "system", t0.Add(h), 0); err != nil || p.RecurrenceCount != 1 {
		t.Fatalf("reopen: %v, count %d", err, p.RecurrenceCount)
	}
}

package signal

import (
	"fmt"
	"time"

	"fixgate/internal/problem"
)

// Outcomes of a signal that matches a problem's signature.
const (
	// Recurrence: the signal began while the fix was live and the
	// observation period ran. It counts as a recurrence; Reopen says
	// whether the problem goes back to fix_in_progress.
	Recurrence = "recurrence"
	// BeforeFix: no fix was live when the signal began (the problem is
	// still being worked on, or the signal predates the resolution). Link
	// it as another occurrence; it says nothing about the fix.
	BeforeFix = "before_fix"
	// AfterObservation: the signal began after the observation period
	// ended. It does not reopen the problem; it is a new occurrence that
	// deserves a new (or linked) problem.
	AfterObservation = "after_observation"
	// Ignored: the problem cannot take occurrences (canceled) or its
	// record is inconsistent; the reason says which.
	Ignored = "ignored"
)

// ProblemState is what the recurrence decision needs of a problem.
// ObservationStart is when the fix went live (resolved_at) and
// ObservationEnd when the observation period ends (observation_until).
type ProblemState struct {
	Status           string
	ObservationStart *time.Time
	ObservationEnd   *time.Time
}

// Decision is the outcome for one signal, with the reason in words.
type Decision struct {
	Outcome string `json:"outcome"`
	Reopen  bool   `json:"reopen"`
	Reason  string `json:"reason"`
}

// Decide classifies a signal that began at at and matches a signature of
// problem p. The observation period is [start, end): a signal at the very
// end no longer reopens (closing is allowed from that instant).
//
//   - canceled → ignored;
//   - new, assess, rca, fix_in_progress → before_fix (no fix live);
//   - resolved or closed, at before start → before_fix (late delivery, or an
//     alert already firing when the fix went live);
//   - resolved, start ≤ at < end → recurrence, reopen;
//   - closed, start ≤ at < end → recurrence that arrived after closure:
//     counted, but a closed problem does not reopen (open a new one);
//   - at ≥ end → after_observation;
//   - resolved without an end → recurrence, reopen (a missing end must not
//     hide a recurrence); resolved without a start → ignored (inconsistent).
func Decide(p ProblemState, at time.Time) Decision {
	if at.IsZero() {
		return Decision{Outcome: Ignored, Reason: "the signal carries no start time"}
	}
	switch p.Status {
	case problem.Canceled:
		return Decision{Outcome: Ignored, Reason: "the problem is canceled"}
	case problem.New, problem.Assess, problem.RCA, problem.FixInProgress:
		return Decision{Outcome: BeforeFix, Reason: fmt.Sprintf("the problem is %s: no fix is live yet; link the signal as another occurrence", p.Status)}
	case problem.Resolved, problem.Closed:
	default:
		return Decision{Outcome: Ignored, Reason: fmt.Sprintf("unknown problem status %q", p.Status)}
	}
	if p.ObservationStart == nil {
		return Decision{Outcome: Ignored, Reason: "the problem is " + p.Status + " but records no resolution time"}
	}
	start := *p.ObservationStart
	if at.Before(start) {
		return Decision{Outcome: BeforeFix, Reason: fmt.Sprintf("the signal began at %s, before the fix went live at %s",
			stamp(at), stamp(start))}
	}
	closed := p.Status == problem.Closed
	if p.ObservationEnd == nil {
		if closed {
			return Decision{Outcome: AfterObservation, Reason: "the problem is closed; the signal began after its fix went live at " + stamp(start)}
		}
		return Decision{Outcome: Recurrence, Reopen: true, Reason: fmt.Sprintf("the signal began at %s, after the fix went live at %s; no observation end is recorded",
			stamp(at), stamp(start))}
	}
	end := *p.ObservationEnd
	if !at.Before(end) {
		return Decision{Outcome: AfterObservation, Reason: fmt.Sprintf("the signal began at %s, after the observation period ended at %s; it does not reopen the problem: open or link a new one",
			stamp(at), stamp(end))}
	}
	period := fmt.Sprintf("the signal began at %s, inside the observation period %s – %s", stamp(at), stamp(start), stamp(end))
	if closed {
		return Decision{Outcome: Recurrence, Reason: period + ", but reached fixgate after the problem closed; a closed problem does not reopen: count it and open a new problem"}
	}
	return Decision{Outcome: Recurrence, Reopen: true, Reason: period + ": the problem reopens (resolved → fix_in_progress)"}
}

package problem

import (
	"fmt"
	"time"
)

// Closure conditions, as named in a Gap and in the Extra "missing" of a
// refused closure.
const (
	CondResolved     = "resolved"
	CondObservation  = "observation_period"
	CondNoRecurrence = "no_recurrence"
	CondPIR          = "pir"
	CondConfirmation = "confirmation"
)

// Gap is one unmet closure condition, with what to do about it.
type Gap struct {
	Condition string `json:"condition"`
	Message   string `json:"message"`
}

// ClosureFacts are what the records say about a problem since its
// resolution (the store counts them; ClosureGaps judges them).
type ClosureFacts struct {
	// Recurrences: signals judged a recurrence since the resolution, plus
	// incidents linked to the problem and opened during the observation period.
	Recurrences int
	// CompletedPIRs: reviews linked to the problem and completed since the
	// resolution (one completed before a recurrence reviewed a fix that failed).
	CompletedPIRs int
	// Confirmations: a validator outside the release team confirmed the fix
	// since the resolution.
	Confirmations int
}

// ClosureGaps lists every closure condition p misses at now; none means it
// may close: resolved, the observation period over, no recurrence since the
// resolution, a completed PIR and an independent confirmation since then.
func ClosureGaps(p Problem, f ClosureFacts, now time.Time) []Gap {
	gaps := []Gap{}
	add := func(c, format string, args ...any) { gaps = append(gaps, Gap{c, fmt.Sprintf(format, args...)}) }
	if p.Status != Resolved {
		add(CondResolved, "the problem is %s: only a resolved problem (fix live, observation running) can close", p.Status)
	} else {
		switch {
		case p.ObservationUntil == nil:
			add(CondObservation, "the problem records no end of its observation period")
		case now.Before(*p.ObservationUntil):
			add(CondObservation, "the observation period runs until %s", p.ObservationUntil.UTC().Format(time.RFC3339))
		}
		if p.ResolvedAt != nil && f.Recurrences > 0 {
			add(CondNoRecurrence, "%d recurrence(s) (signals or linked incidents) since the resolution at %s",
				f.Recurrences, p.ResolvedAt.UTC().Format(time.RFC3339))
		}
	}
	since := "the fix went live"
	if p.ResolvedAt != nil {
		since = p.ResolvedAt.UTC().Format(time.RFC3339)
	}
	if f.CompletedPIRs == 0 {
		add(CondPIR, "no post-implementation review linked to the problem was completed since %s", since)
	}
	if f.Confirmations == 0 || p.Status != Resolved {
		add(CondConfirmation, "no validator outside the release team has confirmed the fix since %s", since)
	}
	return gaps
}

package engine

import (
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// Judge turns one check's measurements (of the current stage, oldest
// first) into its state at now; since is when the stage (or the watch)
// began, ended that no more measurements come (its duration is over).
type Judge func(c policy.Check, ms []analysis.Measurement, since, now time.Time, ended bool) rollout.Check

// StoreInterval is how often recurrence and incidents checks are counted
// from the store while a stage or the watch runs. A matching alert or
// incident arriving through the signals path wakes the deployment at once
// (Runner.Wake), so this poll only bounds how late a recurrence recorded
// some other way is seen.
const StoreInterval = time.Second

// AnalysisJudge is the Judge of the product: the state from analysis.Judge,
// the next measurement from analysis.Due (prometheus checks) or every
// StoreInterval (recurrence, incidents), and for a failed check the time of
// the measurement that failed it: the evidence rollback latency counts from.
func AnalysisJudge(c policy.Check, ms []analysis.Measurement, since, now time.Time, ended bool) rollout.Check {
	state, reason := analysis.Judge(c, ms, ended)
	out := rollout.Check{State: state, Reason: reason}
	switch state {
	case analysis.Failing:
		for i := len(ms) - 1; i >= 0; i-- {
			if ms[i].Outcome == analysis.Failed || ms[i].Outcome == analysis.Error {
				at := ms[i].At
				out.EvidenceAt = &at
				break
			}
		}
	case analysis.Running:
		due := since
		if p := c.Prometheus; p != nil {
			next, done := analysis.Due(p, since, ms, now)
			if done {
				return out
			}
			due = next
		} else if len(ms) > 0 {
			due = ms[len(ms)-1].At.Add(StoreInterval)
		}
		out.Due = &due
	}
	return out
}

// measurementsOf returns the measurements of check c at stage label.
func measurementsOf(ms []analysis.Measurement, label string, c check) []analysis.Measurement {
	var out []analysis.Measurement
	for _, m := range ms {
		if m.Stage == label && m.Template == c.Template && m.Check == c.Check.Name {
			out = append(out, m)
		}
	}
	return out
}

package engine

import (
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// Judge turns one check's measurements (of the current stage, oldest
// first) into its state at now; since is when the stage began.
// analysis.Judge/Due replace DefaultJudge at the merge.
type Judge func(c policy.Check, ms []analysis.Measurement, since, now time.Time) rollout.Check

// Defaults of a check without its own settings.
const (
	DefaultInterval         = 10 * time.Second // prometheus
	DefaultStoreInterval    = time.Second      // recurrence and incidents: read from the store
	DefaultConsecutiveError = 4
)

// DefaultJudge: failed measurements beyond failure_limit (recurrence and
// incidents: any) fail the check, consecutive errors beyond
// consecutive_error_limit fail it, inconclusive ones beyond
// inconclusive_limit pause it; count measurements pass it; otherwise it
// runs and wants its next measurement one interval after the last (the
// first after initial_delay).
func DefaultJudge(c policy.Check, ms []analysis.Measurement, since, now time.Time) rollout.Check {
	interval, count, failLimit, errLimit, incLimit, delay := DefaultStoreInterval, 0, 0, DefaultConsecutiveError, 0, time.Duration(0)
	if p := c.Prometheus; p != nil {
		interval, count, failLimit, incLimit, delay = time.Duration(p.Interval), p.Count, p.FailureLimit, p.InconclusiveLimit, time.Duration(p.InitialDelay)
		if interval <= 0 {
			interval = DefaultInterval
		}
		if p.ConsecutiveErrorLimit > 0 {
			errLimit = p.ConsecutiveErrorLimit
		}
	}
	var out rollout.Check
	failed, inconclusive, consecutive := 0, 0, 0
	for _, m := range ms {
		switch m.Outcome {
		case analysis.Failed:
			failed++
			if failed > failLimit {
				at := m.At
				return rollout.Check{State: analysis.Failing, Reason: m.Message, EvidenceAt: &at}
			}
		case analysis.Inconclusive:
			inconclusive++
		case analysis.Error:
			consecutive++
			if consecutive > errLimit {
				at := m.At
				return rollout.Check{State: analysis.Failing, Reason: "consecutive errors: " + m.Message, EvidenceAt: &at}
			}
			continue
		}
		consecutive = 0
	}
	if inconclusive > incLimit {
		return rollout.Check{State: analysis.Paused, Reason: ms[len(ms)-1].Message}
	}
	if count > 0 && len(ms) >= count {
		return rollout.Check{State: analysis.Passed}
	}
	due := since.Add(delay)
	if len(ms) > 0 {
		due = ms[len(ms)-1].At.Add(interval)
	}
	out.State, out.Due = analysis.Running, &due
	return out
}

// measurementsOf returns the measurements of check c at stage label.
func measurementsOf(ms []analysis.Measurement, label string, c check) []analysis.Measurement {
	var out []analysis.Measurement
	for _, m := range ms {
		if m.Stage == label && m.Template == c.template && m.Check == c.c.Name {
			out = append(out, m)
		}
	}
	return out
}

package engine

import (
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// Judge turns the tally of one check's measurements in the current stage
// into its state at now; since is when the stage (or the watch) began, end
// when no more measurements come for it (its duration or the watch is
// over; zero: a stage that waits for `deploy promote`).
type Judge func(c policy.Check, t analysis.Tally, since, end, now time.Time) rollout.Check

// DefaultStoreInterval is Runner.StoreInterval's default: how often
// recurrence and incidents checks are counted from the store while a stage
// or the watch runs, besides once when it starts and once when it ends. A
// matching alert or incident decides the rollback in the transaction that
// stores it (store/deployment_signals.go), so this count only bounds how
// late a recurrence or incident recorded some other way (a bulk import) is
// seen; the count at the end means none recorded before the end is missed
// by the promotion or the verification.
const DefaultStoreInterval = 30 * time.Second

// AnalysisJudge returns the Judge of the product: the state from
// analysis.JudgeTally, the next measurement from analysis.DueTally
// (prometheus checks) or every storeEvery and at the end (recurrence, incidents), and
// for a failed check the time of the last failed or error measurement:
// the evidence rollback latency counts from. A check is judged on the end only
// once it was measured (a late engine must not pause for want of evidence),
// a recurrence or incidents check only once it was counted at or after the
// end.
func AnalysisJudge(storeEvery time.Duration) Judge {
	return func(c policy.Check, t analysis.Tally, since, end, now time.Time) rollout.Check {
		ended := !end.IsZero() && !now.Before(end) && t.Measurements > 0
		if ended && c.Prometheus == nil && t.Last.Before(end) {
			ended = false
		}
		state, reason := analysis.JudgeTally(c, t, ended)
		out := rollout.Check{State: state, Reason: reason}
		switch state {
		case analysis.Failing:
			if !t.LastFailure.IsZero() {
				at := t.LastFailure
				out.EvidenceAt = &at
			}
		case analysis.Running:
			due := since
			if p := c.Prometheus; p != nil {
				next, done := analysis.DueTally(p, since, t, now)
				if done {
					return out
				}
				due = next
			} else if t.Measurements > 0 {
				due = t.Last.Add(storeEvery)
				if !end.IsZero() && t.Last.Before(end) && end.Before(due) {
					due = end
				}
			}
			out.Due = &due
		}
		return out
	}
}

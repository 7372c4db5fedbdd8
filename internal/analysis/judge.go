package analysis

import (
	"fmt"
	"time"

	"fixgate/internal/policy"
)

// ErrorRetryInterval is the longest wait before measuring again after an
// error (Argo Rollouts' default): a transient failure of Prometheus is
// retried sooner than the check's interval.
const ErrorRetryInterval = 10 * time.Second

// limits are a check's limits with the defaults of an unset value.
type limits struct{ count, failures, inconclusive, errors int }

func limitsOf(c policy.Check) limits {
	l := limits{errors: policy.DefaultConsecutiveErrorLimit}
	if p := c.Prometheus; p != nil {
		l = limits{count: p.Count, failures: p.FailureLimit, inconclusive: p.InconclusiveLimit, errors: p.ConsecutiveErrorLimit}
		if l.errors == 0 {
			l.errors = policy.DefaultConsecutiveErrorLimit
		}
	}
	return l
}

// Judge gives the state of check c from its measurements in one stage, in
// the order they were taken (ms holds that check's measurements only), and a
// one-line reason. stageEnded says the stage's duration is over (or the
// stage was promoted) so no more measurements come. The rules, in order:
//
//   - more failures than failure_limit (default 0: the first failure) →
//     Failing;
//   - a run of consecutive errors longer than consecutive_error_limit
//     (0 or unset: 4, as in Argo Rollouts, so the 5th error in a row) →
//     Failing; a measurement of any other outcome ends a run, errors never
//     count as measurements taken;
//   - more inconclusive measurements than inconclusive_limit (default 0) →
//     Paused: a person promotes or rolls back, nothing passes silently;
//   - count measurements taken (count > 0), or stageEnded → Passed when at
//     least one measurement was successful, else Paused (no evidence never
//     passes);
//   - otherwise Running.
//
// Recurrence and incidents checks have no limits: their first failed
// measurement fails them, and errors follow the default limit of 4.
func Judge(c policy.Check, ms []Measurement, stageEnded bool) (state, reason string) {
	return JudgeTally(c, Count(ms), stageEnded)
}

// JudgeTally is Judge on the tally of the measurements.
func JudgeTally(c policy.Check, t Tally, stageEnded bool) (state, reason string) {
	l := limitsOf(c)
	switch {
	case t.Failed > l.failures:
		if l.failures == 0 {
			return Failing, "measurement failed: " + t.LastFailed
		}
		return Failing, fmt.Sprintf("%d failed measurements exceed failure_limit %d; last: %s", t.Failed, l.failures, t.LastFailed)
	case t.LongestErrorRun > l.errors:
		return Failing, fmt.Sprintf("%d errors in a row exceed consecutive_error_limit %d; last: %s", t.LongestErrorRun, l.errors, t.LastError)
	case t.Inconclusive > l.inconclusive:
		return Paused, fmt.Sprintf("%d inconclusive measurements exceed inconclusive_limit %d", t.Inconclusive, l.inconclusive)
	}
	taken := t.taken()
	if (l.count > 0 && taken >= l.count) || stageEnded {
		if t.Successful == 0 {
			return Paused, fmt.Sprintf("no successful measurement (%d taken, %d errors): no evidence the check holds", taken, t.Measurements-taken)
		}
		return Passed, fmt.Sprintf("%d of %d measurements successful", t.Successful, taken)
	}
	return Running, fmt.Sprintf("%d measurements taken", taken)
}

// CountLimit is the most matches a count check tolerates: recurrence's
// max_matches; 0 for incidents (any new incident at or above min_severity
// fails) and for any other kind.
func CountLimit(c policy.Check) int {
	if c.Recurrence != nil {
		return c.Recurrence.MaxMatches
	}
	return 0
}

// JudgeCount gives the outcome of a recurrence or incidents measurement: the
// store counted n matching signals or incidents since the stage started;
// more than limit (CountLimit) is Failed, else Successful.
func JudgeCount(limit, n int) string {
	if n > limit {
		return Failed
	}
	return Successful
}

// Due says when check c should next be measured in a stage that started at
// stageStart, given the measurements ms already taken in it (any order):
// the first at stageStart + initial_delay; the next one interval after the
// latest (after an error, min(interval, ErrorRetryInterval) after it). next
// is never before now: an overdue measurement is due now, and missed ones are
// not caught up. done is true when count measurements (errors not counted)
// were taken; next is then zero. An unset interval is policy.DefaultInterval.
func Due(c *policy.PrometheusCheck, stageStart time.Time, ms []Measurement, now time.Time) (next time.Time, done bool) {
	return DueTally(c, stageStart, Count(ms), now)
}

// DueTally is Due on the tally of the measurements.
func DueTally(c *policy.PrometheusCheck, stageStart time.Time, t Tally, now time.Time) (next time.Time, done bool) {
	if c.Count > 0 && t.taken() >= c.Count {
		return time.Time{}, true
	}
	interval := time.Duration(c.Interval)
	if interval <= 0 {
		interval = policy.DefaultInterval
	}
	switch {
	case t.Measurements == 0:
		next = stageStart.Add(time.Duration(c.InitialDelay))
	case t.LatestError:
		next = t.Latest.Add(min(interval, ErrorRetryInterval))
	default:
		next = t.Latest.Add(interval)
	}
	if next.Before(now) {
		next = now
	}
	return next, false
}

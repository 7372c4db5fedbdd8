package pir

import (
	"math"
	"time"

	"fixgate/internal/policy"
)

// Outcomes of a fix's target (seed 5.1).
const (
	TargetMet          = "pass"
	TargetMissed       = "fail"
	TargetPending      = "pending"       // the window after the fix has not ended
	TargetNotEvaluable = "not_evaluable" // the data cannot decide (see Reason)
)

// Target names, as the policy writes them.
const (
	TargetIncidentRateReduction = "incident_rate_reduction"
	TargetMTTRBelow             = "mttr_below"
	TargetErrorRatio            = "error_ratio_below"
)

// TargetResult is one target of a fix evaluated from the data: what it
// asked (Want), what was measured (Got; nil when nothing was) and the outcome.
type TargetResult struct {
	Target  string   `json:"target"`
	Want    float64  `json:"want"` // percent for incident_rate_reduction, seconds for mttr_below
	Got     *float64 `json:"got"`
	Outcome string   `json:"outcome"`
	Reason  string   `json:"reason,omitempty"`
}

// FixTargets is the evaluation of one fix: the problem, its release and
// change model, and each target's result. PIR names the review whose
// stored evaluation it is ("" when evaluated under the policy in force).
type FixTargets struct {
	Problem     string         `json:"problem"`
	Release     string         `json:"release"`
	ChangeModel string         `json:"change_model"`
	Results     []TargetResult `json:"results"`
	PIR         string         `json:"pir,omitempty"`
}

// Evaluation is a fix's targets as a review evaluated and stored them with
// its computed KPIs: the change model and policy version whose targets
// were evaluated, when, and each result. A stored evaluation is history:
// a later policy does not change it.
type Evaluation struct {
	ChangeModel   string         `json:"change_model"`
	PolicyVersion int64          `json:"policy_version"` // 0: the built-in policy
	EvaluatedAt   time.Time      `json:"evaluated_at"`
	Results       []TargetResult `json:"results"`
}

// Final reports whether no result is pending: the evaluation then stands
// for the fix in the KPI report instead of a new one.
func (e *Evaluation) Final() bool {
	if e == nil || len(e.Results) == 0 {
		return false
	}
	for _, r := range e.Results {
		if r.Outcome == TargetPending {
			return false
		}
	}
	return true
}

// Verdict is the fix's outcome: fail when a target failed, else pending
// when one is pending, else pass when one passed, else not_evaluable.
func (f FixTargets) Verdict() string {
	seen := map[string]bool{}
	for _, r := range f.Results {
		seen[r.Outcome] = true
	}
	for _, o := range []string{TargetMissed, TargetPending, TargetMet} {
		if seen[o] {
			return o
		}
	}
	return TargetNotEvaluable
}

// Measured is what the data says about a fix: the KPI windows around its
// resolution (KPIWindows), the problem's incidents opened in each, and the
// mean time to resolve those of the after window that are resolved (nil
// when none is).
type Measured struct {
	Windows       Windows
	Before, After int64
	MTTRAfter     *time.Duration
}

// Evaluate decides each target of t from m at now. A target is pending
// until the after window has ended (both windows are then equal, so the
// counts compare). The incident rate reduction is (before − after) /
// before in percent and passes when at least the target; without
// incidents before it is not evaluable. mttr_below passes when the mean
// is below the target; without a resolved incident after, not evaluable.
// A PromQL error ratio is not evaluable here: it needs Prometheus.
func Evaluate(t policy.Targets, m Measured, now time.Time) []TargetResult {
	var out []TargetResult
	_, end := m.Windows.After()
	ended := !now.Before(end)
	if t.IncidentRateReduction != nil {
		r := TargetResult{Target: TargetIncidentRateReduction, Want: *t.IncidentRateReduction}
		switch {
		case !ended:
			r.Outcome, r.Reason = TargetPending, "the window after the fix ends at "+end.Format(time.RFC3339)
		case m.Before == 0:
			r.Outcome, r.Reason = TargetNotEvaluable, "no incident in the window before the fix"
		default:
			got := round3(float64(m.Before-m.After) / float64(m.Before) * 100)
			r.Got, r.Outcome = &got, outcome(got >= r.Want)
		}
		out = append(out, r)
	}
	if t.MTTRBelow > 0 {
		r := TargetResult{Target: TargetMTTRBelow, Want: time.Duration(t.MTTRBelow).Seconds()}
		switch {
		case !ended:
			r.Outcome, r.Reason = TargetPending, "the window after the fix ends at "+end.Format(time.RFC3339)
		case m.MTTRAfter == nil:
			r.Outcome, r.Reason = TargetNotEvaluable, "no incident resolved in the window after the fix"
		default:
			got := math.Round(m.MTTRAfter.Seconds())
			r.Got, r.Outcome = &got, outcome(got < r.Want)
		}
		out = append(out, r)
	}
	if t.ErrorRatioQuery != "" {
		out = append(out, TargetResult{Target: TargetErrorRatio, Want: *t.ErrorRatioBelow, Outcome: TargetNotEvaluable,
			Reason: "a PromQL target needs Prometheus; the report does not query it"})
	}
	return out
}

func outcome(pass bool) string {
	if pass {
		return TargetMet
	}
	return TargetMissed
}

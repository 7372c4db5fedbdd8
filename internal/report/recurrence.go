package report

import "time"

// Dimensions the recurrence rate is grouped by.
const (
	ByProblem     = "problem"
	ByCategory    = "category"
	ByCI          = "ci"
	ByChangeModel = "change_model"
	ByTeam        = "team"
)

// RecurrenceGroup counts the problems of one group (Dim, Key) that
// recurred Recurrences times each (a problem's recurrence count). The
// store loads them with GROUP BY; a problem counts in every group it
// belongs to (each of its CIs).
type RecurrenceGroup struct {
	Dim, Key    string
	Recurrences int64
	Problems    int64
}

// RecurrenceRate is the share of problems of a group that recurred at
// least once after a fix (Rate nil when there are none), and how many
// recurrences they had in all.
type RecurrenceRate struct {
	Key         string   `json:"key"`
	Problems    int64    `json:"problems"`
	Recurred    int64    `json:"recurred"`
	Recurrences int64    `json:"recurrences"`
	Rate        *float64 `json:"rate"`
}

// Recurred reports whether a problem with n recurrences counts as recurred.
func Recurred(n int64) bool { return n > 0 }

// RecurrenceRates sums the groups of dimension dim into one rate per key,
// in key order (an empty list when there are none).
func RecurrenceRates(dim string, groups []RecurrenceGroup) []RecurrenceRate {
	by := map[string]RecurrenceRate{}
	for _, g := range groups {
		if g.Dim != dim {
			continue
		}
		r := by[g.Key]
		r.Key = g.Key
		r.Problems += g.Problems
		r.Recurrences += g.Recurrences * g.Problems
		if Recurred(g.Recurrences) {
			r.Recurred += g.Problems
		}
		by[g.Key] = r
	}
	out := make([]RecurrenceRate, 0, len(by))
	for _, k := range sortedKeys(by) {
		r := by[k]
		r.Rate = Rate(r.Recurred, r.Problems)
		out = append(out, r)
	}
	return out
}

// Overall sums rates into one, keyed "all".
func Overall(rs []RecurrenceRate) RecurrenceRate {
	o := RecurrenceRate{Key: "all"}
	for _, r := range rs {
		o.Problems += r.Problems
		o.Recurred += r.Recurred
		o.Recurrences += r.Recurrences
	}
	o.Rate = Rate(o.Recurred, o.Problems)
	return o
}

// ClosedRecurrence is a closed problem with incidents after its closure:
// linked to it, or with the fingerprint of one of its incidents.
type ClosedRecurrence struct {
	Problem   string `json:"problem"`
	Incidents int64  `json:"incidents"`
}

// AfterClosure counts the problems closed in the period and those of them
// that recurred after closure.
type AfterClosure struct {
	Closed   int64              `json:"closed"`
	Recurred int64              `json:"recurred"`
	Rate     *float64           `json:"rate"`
	Problems []ClosedRecurrence `json:"problems"`
}

// AfterClosureOf builds the figure from the count of problems closed in
// the period and those with incidents after closure.
func AfterClosureOf(closed int64, recurred []ClosedRecurrence) AfterClosure {
	if recurred == nil {
		recurred = []ClosedRecurrence{}
	}
	n := int64(len(recurred))
	return AfterClosure{Closed: closed, Recurred: n, Rate: Rate(n, closed), Problems: recurred}
}

// IncidentProblem is what the targeted-release share needs of one problem
// with incidents in the period: those incidents, all its incidents
// (counted up to 2 at least: Recurring needs no more), its state, and
// whether a problem-fix release resolved it (a resolution by deployment).
type IncidentProblem struct {
	Problem          string
	InPeriod, Total  int64
	Status           string
	ObservationUntil *time.Time
	FixReleased      bool
}

// Recurring reports whether the problem's incidents are recurring ones:
// it has at least two incidents.
func (p IncidentProblem) Recurring() bool { return p.Total >= 2 }

// ResolvedByRelease reports whether a problem-fix release resolved the
// problem and passed its observation period at now: closed, or resolved
// with the observation period over.
func (p IncidentProblem) ResolvedByRelease(now time.Time) bool {
	if !p.FixReleased {
		return false
	}
	return p.Status == "closed" || p.Status == "resolved" && p.ObservationUntil != nil && !now.Before(*p.ObservationUntil)
}

// TargetedShare is the share of recurring incidents of the period whose
// problem was resolved through a targeted (problem-fix) release.
type TargetedShare struct {
	Recurring int64    `json:"recurring_incidents"`
	Resolved  int64    `json:"resolved_by_release"`
	Share     *float64 `json:"share"`
	Problems  []string `json:"problems"` // the problems resolved through their release
}

// TargetedShareOf computes the share at now.
func TargetedShareOf(ps []IncidentProblem, now time.Time) TargetedShare {
	t := TargetedShare{Problems: []string{}}
	for _, p := range ps {
		if !p.Recurring() {
			continue
		}
		t.Recurring += p.InPeriod
		if p.ResolvedByRelease(now) {
			t.Resolved += p.InPeriod
			t.Problems = append(t.Problems, p.Problem)
		}
	}
	t.Share = Rate(t.Resolved, t.Recurring)
	return t
}

package report

import "time"

// MonthFormat is the key of a calendar month (UTC) in the monthly series.
const MonthFormat = "2006-01"

// Share is a count of failures over a total with its rate (nil when total is 0).
type Share struct {
	Failed int64    `json:"failed"`
	Total  int64    `json:"total"`
	Rate   *float64 `json:"rate"`
}

// MonthRate is the change failure rate of the deployments started in one
// calendar month (UTC), by release type.
type MonthRate struct {
	Month      string `json:"month"` // YYYY-MM
	ProblemFix Share  `json:"problem_fix"`
	Feature    Share  `json:"feature"`
	Mixed      Share  `json:"mixed"`
}

// Months lists the calendar months (UTC, "YYYY-MM") from since's month to
// now's, in order; empty when since is after now.
func Months(since, now time.Time) []string {
	var out []string
	m := time.Date(since.UTC().Year(), since.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	for !m.After(now.UTC()) {
		out = append(out, m.Format(MonthFormat))
		m = m.AddDate(0, 1, 0)
	}
	return out
}

// MonthlyFailureRates sums the deployment groups (Key: release type, Month
// set) into one entry per month of months, in order, zeros for a month
// without deployments: the trend of the change failure rate, problem fixes
// against features. The same failure rule as FailureRates (FailureReasons).
func MonthlyFailureRates(months []string, groups []DeploymentGroup) []MonthRate {
	at := make(map[string]int, len(months))
	out := make([]MonthRate, len(months))
	for i, m := range months {
		at[m], out[i].Month = i, m
	}
	for _, g := range groups {
		i, ok := at[g.Month]
		if !ok || !Counted(g.Status) {
			continue
		}
		var s *Share
		switch g.Key {
		case "problem-fix":
			s = &out[i].ProblemFix
		case "feature":
			s = &out[i].Feature
		case "mixed":
			s = &out[i].Mixed
		default:
			continue
		}
		s.Total += g.Count
		n := int64(0)
		if g.Incident {
			n = 1
		}
		if len(FailureReasons(g.Status, n)) > 0 {
			s.Failed += g.Count
		}
	}
	for i := range out {
		for _, s := range []*Share{&out[i].ProblemFix, &out[i].Feature, &out[i].Mixed} {
			s.Rate = Rate(s.Failed, s.Total)
		}
	}
	return out
}

package report

import "strconv"

// Row is one figure of the KPI report as `fixgate report kpi --output csv`
// and the reports page's CSV write it: what, for which group, count of
// total, and its value (a rate or whole seconds; "" when null).
type Row struct {
	Figure, Key  string
	Count, Total int64
	Value        string
}

// CSVHeader is the header row of the CSV.
var CSVHeader = []string{"figure", "key", "count", "total", "value"}

// Strings is the row's CSV record.
func (r Row) Strings() []string {
	return []string{r.Figure, r.Key, strconv.FormatInt(r.Count, 10), strconv.FormatInt(r.Total, 10), r.Value}
}

// RateText is a rate as the CSV writes it ("" when nil).
func RateText(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}

func secsText(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// Rows lists every figure of k, in report order (docs/reports.md).
func Rows(k KPI) []Row {
	cfr := k.ChangeFailureRate
	rows := []Row{
		{"change_failure_rate", "problem_fix", cfr.ProblemFix.Failed, cfr.ProblemFix.Total, RateText(cfr.ProblemFix.Rate)},
		{"change_failure_rate", "feature", cfr.Feature.Failed, cfr.Feature.Total, RateText(cfr.Feature.Rate)},
		{"change_failure_rate", "mixed", cfr.Mixed.Failed, cfr.Mixed.Total, RateText(cfr.Mixed.Rate)},
	}
	for _, d := range k.DurationFigures() {
		rows = append(rows, Row{d.Name, "median_seconds", d.D.N, d.D.N, secsText(d.D.MedianSec)},
			Row{d.Name, "p90_seconds", d.D.N, d.D.N, secsText(d.D.P90Sec)})
	}
	rec := k.Recurrence
	rows = append(rows, Row{"recurrence", "all", rec.Overall.Recurred, rec.Overall.Problems, RateText(rec.Overall.Rate)})
	for _, g := range []struct {
		dim string
		rs  []RecurrenceRate
	}{{ByProblem, rec.Problems}, {ByCategory, rec.Category}, {ByCI, rec.CI}, {ByChangeModel, rec.ChangeModel}} {
		for _, r := range g.rs {
			rows = append(rows, Row{"recurrence_by_" + g.dim, r.Key, r.Recurred, r.Problems, RateText(r.Rate)})
		}
	}
	ac, tr := rec.AfterClosure, k.Targeted
	rows = append(rows, Row{"recurrence_after_closure", "all", ac.Recurred, ac.Closed, RateText(ac.Rate)},
		Row{"targeted_releases", "share", tr.Resolved, tr.Recurring, RateText(tr.Share)},
		Row{"success_criteria", "missed", int64(len(k.SuccessCriteria.Missed)), k.SuccessCriteria.Evaluated, ""})
	for _, t := range k.Teams {
		rows = append(rows, Row{"team_change_failure_rate", t.Team, t.ChangeFailureRate.Failed, t.ChangeFailureRate.Total,
			RateText(t.ChangeFailureRate.Rate)}, Row{"team_recurrence", t.Team, t.Recurrence.Recurred, t.Recurrence.Problems, RateText(t.Recurrence.Rate)})
	}
	for _, m := range k.Trend {
		for _, s := range []struct {
			key string
			s   Share
		}{{"problem_fix", m.ProblemFix}, {"feature", m.Feature}, {"mixed", m.Mixed}} {
			rows = append(rows, Row{"change_failure_rate_by_month", m.Month + "/" + s.key, s.s.Failed, s.s.Total, RateText(s.s.Rate)})
		}
	}
	return rows
}

// DurationFigure is one duration figure with its name (a Measures entry).
type DurationFigure struct {
	Name string
	D    Durations
}

// DurationFigures lists the duration figures of k in report order.
func (k KPI) DurationFigures() []DurationFigure {
	return []DurationFigure{{MeasureRecovery, k.Recovery}, {MeasureDetect, k.Detect}, {MeasureMTTR, k.MTTR},
		{MeasureToRCAValidated, k.Flow.OpenedToRCAValidated}, {MeasureToFixDeployed, k.Flow.RCAValidatedToDeployed},
		{MeasureToClosed, k.Flow.DeployedToClosed}, {MeasureOpenToClosed, k.Flow.OpenedToClosed}}
}

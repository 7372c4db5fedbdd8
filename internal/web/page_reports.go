package web

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

// reportReaders may read the KPI report: the roles of GET
// /api/v1/reports/kpi (api.reportReaders), every role but pipeline.
var reportReaders = []auth.Role{auth.Admin, auth.ProblemManager, auth.ReleaseManager, auth.Engineer, auth.CABMember,
	auth.Validator, auth.Auditor}

// defaultReportSince is the period of a report without ?since, as the API's.
const defaultReportSince = "90d"

// reportsData is the data of reports.html.
type reportsData struct {
	Since, Env, CI string
	K              report.KPI
	CSV, PDF       string // the report's downloads, with its filters
	Trend          trendChart
	CFR            barChart
	Recurrence     barChart // by root cause category
	Durations      []durationRow
	Failed         []failedList
	TrendRows      []trendRow
	Recur          recurrenceView
	Targeted       rateRow
	Missed         []missedFix
	Teams          []teamRow
	Controls       bool // the reader may open the control assessments
}

// rateRow is a rate as the page shows it: count of total, the rate as a
// percentage, and where its records are ("" for nowhere).
type rateRow struct {
	Label        string
	Count, Total int64
	Rate, Href   string
}

func rateRowOf(label string, count, total int64, rate *float64, href string) rateRow {
	return rateRow{Label: label, Count: count, Total: total, Rate: percent(rate), Href: href}
}

type durationRow struct {
	Name, Label, Median, P90 string
	N                        int64
}

type trendRow struct {
	Month                      string
	ProblemFix, Feature, Mixed string
}

type recurrenceView struct {
	Overall                       rateRow
	Problems, Category, CI, Model []rateRow
	AfterClosure                  rateRow
	AfterClosureProblems          []string
}

type missedFix struct {
	Problem, Release, ChangeModel, PIR string
	Results                            []string
}

type teamRow struct {
	Team        string
	Deployments rateRow
	Recurrence  rateRow
}

// durationLabels say what each duration figure measures.
var durationLabels = map[string]string{
	report.MeasureRecovery:       "Failed deployment recovery (first failing evidence → rollback done)",
	report.MeasureDetect:         "Time to detect (deployment start → first failing evidence)",
	report.MeasureMTTR:           "Incident MTTR (opened → resolved)",
	report.MeasureToRCAValidated: "Problem opened → RCA validated",
	report.MeasureToFixDeployed:  "RCA validated → fix deployed",
	report.MeasureToClosed:       "Fix deployed → problem closed",
	report.MeasureOpenToClosed:   "Problem opened → closed",
}

// failedList is the failed deployments of one release type, the records
// behind its failure count.
type failedList struct {
	Key, Label, RateText string
	Rate                 report.FailureRate
}

// reportsPage is GET /reports: the KPI report of store.KPIReport (as GET
// /api/v1/reports/kpi, with the success criteria of the policy in force)
// as charts and tables, each count linking to the records behind it;
// ?format=csv answers the rows of `fixgate report kpi --output csv`
// (report.Rows) and ?format=pdf a PDF of the same figures.
func (s *Server) reportsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := reportsData{Since: strings.TrimSpace(q.Get("since")), Env: strings.TrimSpace(q.Get("env")), CI: strings.TrimSpace(q.Get("ci")),
		Controls: s.allows(v, "GET /reports/controls")}
	if d.Since == "" {
		d.Since = defaultReportSince
	}
	vw := &view{Title: "Reports", Path: "/reports", Data: &d, Flash: q.Get("done")}
	since, err := policy.ParseDuration(d.Since)
	if err != nil || since <= 0 {
		vw.Error, vw.Field = `since: "`+d.Since+`" is not a period such as 90d, 12w or 1y`, "since"
		return s.renderView(w, r, v, http.StatusBadRequest, "reports.html", vw)
	}
	format := q.Get("format")
	if format != "" && format != "csv" && format != "pdf" {
		return fault.Field("format", "must be csv or pdf, got %q", format)
	}
	targets, err := s.reportTargets(r)
	if err != nil {
		return err
	}
	if d.K, err = s.store.KPIReport(r.Context(), since, d.Env, d.CI, targets); err != nil {
		return err
	}
	switch format {
	case "csv":
		return writeKPICSV(w, d.K)
	case "pdf":
		return writeKPIPDF(w, d.K, v.now)
	}
	fillReports(&d)
	return s.renderView(w, r, v, http.StatusOK, "reports.html", vw)
}

// reportTargets are the success criteria per change model of the policy in force.
func (s *Server) reportTargets(r *http.Request) (map[string]policy.Targets, error) {
	targets := map[string]policy.Targets{}
	if s.cfg.Policy == nil {
		return targets, nil
	}
	pol, _, err := s.cfg.Policy(r.Context())
	if err != nil {
		return nil, err
	}
	for name, m := range pol.ChangeModels {
		targets[name] = m.Targets
	}
	return targets, nil
}

// fillReports lays out what the template shows of d.K.
func fillReports(d *reportsData) {
	k := d.K
	q := url.Values{"since": {d.Since}}
	if d.Env != "" {
		q.Set("env", d.Env)
	}
	if d.CI != "" {
		q.Set("ci", d.CI)
	}
	d.CSV, d.PDF = "/reports?"+q.Encode()+"&format=csv", "/reports?"+q.Encode()+"&format=pdf"
	cfr := k.ChangeFailureRate
	d.Failed = []failedList{{Key: "problem_fix", Label: "Problem fixes", Rate: cfr.ProblemFix}, {Key: "feature", Label: "Features", Rate: cfr.Feature},
		{Key: "mixed", Label: "Mixed", Rate: cfr.Mixed}}
	var bars []rateBar
	for i, f := range d.Failed {
		d.Failed[i].RateText = percent(f.Rate.Rate)
		bars = append(bars, rateBar{Label: f.Label, Count: f.Rate.Failed, Total: f.Rate.Total, Rate: f.Rate.Rate})
	}
	d.CFR = layoutBars("cfr", "Change failure rate by release type",
		"Failed deployments over deployments started in the period, by release type: "+barsText(bars)+".", bars)
	bars = nil
	for _, c := range k.Recurrence.Category {
		bars = append(bars, rateBar{Label: c.Key, Count: c.Recurred, Total: c.Problems, Rate: c.Rate})
	}
	d.Recurrence = layoutBars("recurrence", "Recurrence by root cause category",
		"Problems resolved in the period that recurred, by root cause category: "+barsText(bars)+".", bars)
	d.Trend = layoutTrend(k.Trend)
	for _, m := range k.Trend {
		d.TrendRows = append(d.TrendRows, trendRow{m.Month, shareText(m.ProblemFix), shareText(m.Feature), shareText(m.Mixed)})
	}
	for _, f := range k.DurationFigures() {
		d.Durations = append(d.Durations, durationRow{Name: f.Name, Label: durationLabels[f.Name], N: f.D.N,
			Median: durationText(f.D.MedianSec), P90: durationText(f.D.P90Sec)})
	}
	fillRecurrence(d)
	t := k.Targeted
	d.Targeted = rateRowOf("Recurring incidents resolved through targeted releases", t.Resolved, t.Recurring, t.Share, "#targeted")
	for _, f := range k.SuccessCriteria.Missed {
		m := missedFix{Problem: f.Problem, Release: f.Release, ChangeModel: f.ChangeModel, PIR: f.PIR}
		for _, r := range f.Results {
			m.Results = append(m.Results, targetText(r.Target, r.Want, r.Got, r.Outcome, r.Reason))
		}
		d.Missed = append(d.Missed, m)
	}
	for _, tm := range k.Teams {
		c, r := tm.ChangeFailureRate, tm.Recurrence
		d.Teams = append(d.Teams, teamRow{Team: tm.Team, Deployments: rateRowOf("", c.Failed, c.Total, c.Rate, ""),
			Recurrence: rateRowOf("", r.Recurred, r.Problems, r.Rate, "")})
	}
}

// fillRecurrence lays out the recurrence figures: problems link to their
// pages, CIs to the problems of the CI.
func fillRecurrence(d *reportsData) {
	rec := d.K.Recurrence
	v := &d.Recur
	v.Overall = rateRowOf("All problems resolved in the period", rec.Overall.Recurred, rec.Overall.Problems, rec.Overall.Rate, "#recurred")
	for _, r := range rec.Problems {
		v.Problems = append(v.Problems, rateRowOf(r.Key, r.Recurrences, r.Problems, r.Rate, "/problems/"+r.Key))
	}
	for _, r := range rec.Category {
		v.Category = append(v.Category, rateRowOf(r.Key, r.Recurred, r.Problems, r.Rate, ""))
	}
	for _, r := range rec.CI {
		v.CI = append(v.CI, rateRowOf(r.Key, r.Recurred, r.Problems, r.Rate, "/problems?ci="+url.QueryEscape(r.Key)))
	}
	for _, r := range rec.ChangeModel {
		v.Model = append(v.Model, rateRowOf(r.Key, r.Recurred, r.Problems, r.Rate, ""))
	}
	ac := rec.AfterClosure
	v.AfterClosure = rateRowOf("Problems closed in the period that recurred after closure", ac.Recurred, ac.Closed, ac.Rate, "#after-closure")
	for _, p := range ac.Problems {
		v.AfterClosureProblems = append(v.AfterClosureProblems, p.Problem)
	}
}

func shareText(s report.Share) string {
	if s.Total == 0 {
		return "none"
	}
	return strconv.FormatInt(s.Failed, 10) + " of " + strconv.FormatInt(s.Total, 10) + " (" + percent(s.Rate) + ")"
}

// targetText states one evaluated target: what was wanted, what was
// measured and the outcome.
func targetText(target string, want float64, got *float64, outcome, reason string) string {
	g := "not measured"
	if got != nil {
		g = formatFloat(*got)
	}
	t := target + ": want " + formatFloat(want) + ", got " + g + ", " + outcome
	if reason != "" {
		t += " (" + reason + ")"
	}
	return t
}

func barsText(bs []rateBar) string {
	if len(bs) == 0 {
		return "none"
	}
	var parts []string
	for _, b := range bs {
		parts = append(parts, b.Label+" "+layoutBars("", "", "", []rateBar{b}).Bars[0].Value)
	}
	return strings.Join(parts, "; ")
}

// writeKPICSV answers the report as `fixgate report kpi --output csv` prints it.
func writeKPICSV(w http.ResponseWriter, k report.KPI) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kpi-report.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	c := csv.NewWriter(w)
	c.Write(report.CSVHeader)
	for _, row := range report.Rows(k) {
		c.Write(row.Strings())
	}
	c.Flush()
	return c.Error()
}

// durationText writes whole seconds the way people read them (90 s, 12 min, 3.5 h, 2.1 d).
func durationText(secs *int64) string {
	if secs == nil {
		return "no data"
	}
	d := time.Duration(*secs) * time.Second
	switch {
	case d < 2*time.Minute:
		return formatFloat(d.Seconds()) + " s"
	case d < 2*time.Hour:
		return formatFloat(d.Minutes()) + " min"
	case d < 48*time.Hour:
		return formatFloat(d.Hours()) + " h"
	}
	return formatFloat(d.Hours()/24) + " d"
}

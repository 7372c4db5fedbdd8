package main

import (
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/report"
)

func init() { recordCommands = append(recordCommands, newReportCmd) }

// newReportCmd is `fixgate report`, the root of the report commands.
func newReportCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "report", Short: "Reports: does the process work?"}
	cmd.AddCommand(reportKPICmd(a), newReportControlsCmd(a), reportPatternsCmd(a)) // report_patterns.go
	return cmd
}

func reportKPICmd(a *app) *cobra.Command {
	var since, env, ci string
	cmd := &cobra.Command{
		Use:   "kpi",
		Short: "KPI report: change failure rate of problem fixes vs features, recovery, flow, recurrence, targets, teams",
		Long: "Prints the KPI report of the period ending now (docs/reports.md defines each figure).\n" +
			"--output text (tables), json (the API's answer) or csv (one row per figure).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"since": {since}}
			if env != "" {
				q.Set("env", env)
			}
			if ci != "" {
				q.Set("ci", ci)
			}
			resp, err := a.call("GET", "/api/v1/reports/kpi", q, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var k report.KPI
			if err := resp.JSON(&k); err != nil {
				return err
			}
			if a.output == "csv" {
				return writeKPICSV(a, k)
			}
			return writeKPIText(a, k)
		},
	}
	cmd.Flags().StringVar(&since, "since", "90d", "period ending now (e.g. 30d, 12w, 1y)")
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().StringVar(&ci, "ci", "", "only this CI")
	return cmd
}

// kpiRow is one figure: what, for which group, count of total, and its value.
type kpiRow struct {
	figure, key  string
	count, total int64
	value        string
}

func kpiRate(r *float64) string {
	if r == nil {
		return ""
	}
	return strconv.FormatFloat(*r, 'f', -1, 64)
}

func kpiSecs(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// kpiRows lists every figure of k, in report order.
func kpiRows(k report.KPI) []kpiRow {
	cfr := k.ChangeFailureRate
	rows := []kpiRow{
		{"change_failure_rate", "problem_fix", cfr.ProblemFix.Failed, cfr.ProblemFix.Total, kpiRate(cfr.ProblemFix.Rate)},
		{"change_failure_rate", "feature", cfr.Feature.Failed, cfr.Feature.Total, kpiRate(cfr.Feature.Rate)},
		{"change_failure_rate", "mixed", cfr.Mixed.Failed, cfr.Mixed.Total, kpiRate(cfr.Mixed.Rate)},
	}
	for _, d := range []struct {
		name string
		d    report.Durations
	}{{"failed_deployment_recovery", k.Recovery}, {"time_to_detect", k.Detect}, {"incident_mttr", k.MTTR},
		{"opened_to_rca_validated", k.Flow.OpenedToRCAValidated}, {"rca_validated_to_fix_deployed", k.Flow.RCAValidatedToDeployed},
		{"fix_deployed_to_closed", k.Flow.DeployedToClosed}, {"opened_to_closed", k.Flow.OpenedToClosed}} {
		rows = append(rows, kpiRow{d.name, "median_seconds", d.d.N, d.d.N, kpiSecs(d.d.MedianSec)},
			kpiRow{d.name, "p90_seconds", d.d.N, d.d.N, kpiSecs(d.d.P90Sec)})
	}
	rec := k.Recurrence
	rows = append(rows, kpiRow{"recurrence", "all", rec.Overall.Recurred, rec.Overall.Problems, kpiRate(rec.Overall.Rate)})
	for _, g := range []struct {
		dim string
		rs  []report.RecurrenceRate
	}{{"problem", rec.Problems}, {"category", rec.Category}, {"ci", rec.CI}, {"change_model", rec.ChangeModel}} {
		for _, r := range g.rs {
			rows = append(rows, kpiRow{"recurrence_by_" + g.dim, r.Key, r.Recurred, r.Problems, kpiRate(r.Rate)})
		}
	}
	ac, tr := rec.AfterClosure, k.Targeted
	rows = append(rows, kpiRow{"recurrence_after_closure", "all", ac.Recurred, ac.Closed, kpiRate(ac.Rate)},
		kpiRow{"targeted_releases", "share", tr.Resolved, tr.Recurring, kpiRate(tr.Share)},
		kpiRow{"success_criteria", "missed", int64(len(k.SuccessCriteria.Missed)), k.SuccessCriteria.Evaluated, ""})
	for _, t := range k.Teams {
		rows = append(rows, kpiRow{"team_change_failure_rate", t.Team, t.ChangeFailureRate.Failed, t.ChangeFailureRate.Total,
			kpiRate(t.ChangeFailureRate.Rate)}, kpiRow{"team_recurrence", t.Team, t.Recurrence.Recurred, t.Recurrence.Problems, kpiRate(t.Recurrence.Rate)})
	}
	return rows
}

func writeKPICSV(a *app, k report.KPI) error {
	w := csv.NewWriter(a.out)
	w.Write([]string{"figure", "key", "count", "total", "value"})
	for _, r := range kpiRows(k) {
		w.Write([]string{r.figure, r.key, strconv.FormatInt(r.count, 10), strconv.FormatInt(r.total, 10), r.value})
	}
	w.Flush()
	return w.Error()
}

func writeKPIText(a *app, k report.KPI) error {
	fmt.Fprintf(a.out, "KPI report %s → %s", k.Filter.Since.Format("2006-01-02"), k.Filter.Now.Format("2006-01-02"))
	if k.Filter.Env != "" || k.Filter.CI != "" {
		fmt.Fprintf(a.out, " (env %q, ci %q)", k.Filter.Env, k.Filter.CI)
	}
	fmt.Fprintln(a.out)
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "FIGURE\tKEY\tCOUNT\tTOTAL\tVALUE")
	for _, r := range kpiRows(k) {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", r.figure, r.key, r.count, r.total, kpiDash(r.value))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, f := range k.SuccessCriteria.Missed {
		var why []string
		for _, r := range f.Results {
			why = append(why, r.Target+"="+r.Outcome)
		}
		fmt.Fprintf(a.out, "missed targets: %s (%s, %s): %s\n", f.Problem, f.Release, f.ChangeModel, strings.Join(why, ", "))
	}
	return nil
}

func kpiDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

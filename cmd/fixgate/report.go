package main

import (
	"encoding/csv"
	"fmt"
	"net/url"
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

func writeKPICSV(a *app, k report.KPI) error {
	w := csv.NewWriter(a.out)
	w.Write(report.CSVHeader)
	for _, r := range report.Rows(k) {
		w.Write(r.Strings())
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
	for _, r := range report.Rows(k) {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", r.Figure, r.Key, r.Count, r.Total, kpiDash(r.Value))
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

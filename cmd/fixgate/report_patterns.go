package main

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/report"
)

// reportPatternsCmd is `fixgate report patterns`: GET /api/v1/reports/patterns.
func reportPatternsCmd(a *app) *cobra.Command {
	var since, env, ci string
	cmd := &cobra.Command{
		Use:   "patterns",
		Short: "Failure patterns of problem fixes: by cause, environment, component, model, stage, check, PIR finding; release size and frequency",
		Long: "Prints the failure-patterns report of the period ending now (docs/reports.md): failed problem-fix deployments\n" +
			"by dimension, release size and frequency against failure and recurrence, and the recommendations with their evidence.\n" +
			"--output text (tables), json (the API's answer) or csv (one row per bucket, bin and recommendation).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{"since": {since}}
			if env != "" {
				q.Set("env", env)
			}
			if ci != "" {
				q.Set("ci", ci)
			}
			resp, err := a.call("GET", "/api/v1/reports/patterns", q, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var p report.Patterns
			if err := resp.JSON(&p); err != nil {
				return err
			}
			if a.output == "csv" {
				return p.WriteCSV(a.out)
			}
			return writePatternsText(a, p)
		},
	}
	cmd.Flags().StringVar(&since, "since", "90d", "period ending now (e.g. 30d, 12w, 1y)")
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().StringVar(&ci, "ci", "", "only releases carrying this CI")
	return cmd
}

// writePatternsText prints the report's rows as one table (the CSV's rows
// but recommendations) and the recommendations below it, one a line.
func writePatternsText(a *app, p report.Patterns) error {
	fmt.Fprintf(a.out, "Failure patterns of problem fixes %s → %s", p.Filter.Since.Format("2006-01-02"), p.Filter.Now.Format("2006-01-02"))
	if p.Filter.Env != "" || p.Filter.CI != "" {
		fmt.Fprintf(a.out, " (env %q, ci %q)", p.Filter.Env, p.Filter.CI)
	}
	fmt.Fprintln(a.out)
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SECTION\tDIMENSION\tKEY\tCOUNT\tTOTAL\tRATE\tRECORDS")
	for _, r := range p.CSVRows() {
		if r[0] == "recommendation" {
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3], r[4], kpiDash(r[5]), kpiDash(r[6]))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	e := p.Evidence
	fmt.Fprintf(a.out, "Recommendations (a bin and its baseline each with at least %d, rate ≥ %g× the baseline's, ≥ %d failures):\n",
		e.MinSample, e.MinRatio, e.MinFailed)
	for _, r := range p.Recommendations {
		fmt.Fprintf(a.out, "- %s: %s\n", strings.ReplaceAll(r.Kind, "_", " "), r.Text)
	}
	return nil
}

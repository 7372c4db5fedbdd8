package main

import (
	"fmt"
	"net/http"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// newReportControlsCmd is `fixgate report controls`: assess every
// governance control over a period and store the assessment (ASSESS-n), or
// show a stored one (--id).
func newReportControlsCmd(a *app) *cobra.Command {
	var period, id string
	cmd := &cobra.Command{
		Use:   "controls --period 2026-Q3 | --id ASSESS-n",
		Short: "Assess the governance controls over a period (stored as ASSESS-n) or show a stored assessment",
		Long: "Assess every governance control (docs/governance.md) over a period, YYYY, YYYY-Qn or YYYY-MM, and store\n" +
			"the assessment as ASSESS-n so periods can be compared; --id shows a stored one. Exits 1 when a control has exceptions.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (period == "") == (id == "") {
				return fault.Field("--period", "give --period or --id")
			}
			method, path, body := http.MethodPost, "/api/v1/reports/controls", any(map[string]string{"period": period})
			if id != "" {
				method, path, body = http.MethodGet, "/api/v1/reports/controls/"+id, nil
			}
			resp, err := a.call(method, path, nil, body, nil)
			if err != nil {
				return err
			}
			var as store.Assessment
			if err := resp.JSON(&as); err != nil {
				return err
			}
			if a.output == "json" {
				err = a.printJSON(resp.Body)
			} else {
				err = a.printAssessment(as)
			}
			if err == nil && !as.Passed {
				return negative{msg: fmt.Sprintf("fixgate: %s: %d control exception(s) in %s", as.ID, as.Exceptions(), as.Period.Name)}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&period, "period", "", "period to assess: YYYY, YYYY-Qn or YYYY-MM")
	cmd.Flags().StringVar(&id, "id", "", "show the stored assessment ASSESS-n instead")
	return cmd
}

// printAssessment writes one line per control, then every exception.
func (a *app) printAssessment(as store.Assessment) error {
	verdict := "passed"
	if !as.Passed {
		verdict = strconv.Itoa(as.Exceptions()) + " exceptions"
	}
	fmt.Fprintf(a.out, "%s  %s (%s – %s)  %s\n\n", as.ID, as.Period.Name, as.Period.From.Format("2006-01-02"),
		as.Period.To.Format("2006-01-02"), verdict)
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONTROL\tCLAUSE\tSAMPLE\tEXCEPTIONS\tRESULT")
	for _, r := range as.Results {
		res := "pass"
		if !r.Passed {
			res = "FAIL"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\n", r.ID, r.Clause, r.Sample, len(r.Exceptions), res)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, r := range as.Results {
		for _, e := range r.Exceptions {
			fmt.Fprintf(a.out, "\n%s  %s: %s", r.ID, e.Record, e.Reason)
		}
	}
	if as.Exceptions() > 0 {
		fmt.Fprintln(a.out)
	}
	return nil
}

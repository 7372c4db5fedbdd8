package main

import (
	"fmt"
	"net/url"

	"github.com/spf13/cobra"
)

// Feedback-loop commands: the checklist a change model has after completed
// reviews refined it, and the refresh of a review's computed KPIs.

func init() { recordCommands = append(recordCommands, newChangeModelCmd) }

func newChangeModelCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "change-model", Short: "Change models of the policy, as refined by post-implementation reviews"}
	checklist := &cobra.Command{Use: "checklist NAME", Short: "The checklist a new change of this model gets: the policy's items plus those completed reviews added",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/change-models/"+url.PathEscape(args[0])+"/checklist", nil, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var out struct {
				Policy []string `json:"policy"`
				Added  []struct {
					Item string `json:"item"`
					PIR  string `json:"pir"`
				} `json:"added"`
			}
			if err := resp.JSON(&out); err != nil {
				return err
			}
			for _, it := range out.Policy {
				fmt.Fprintf(a.out, "- %s (policy)\n", it)
			}
			for _, it := range out.Added {
				fmt.Fprintf(a.out, "- %s (%s)\n", it.Item, it.PIR)
			}
			return nil
		}}
	cmd.AddCommand(checklist)
	return cmd
}

// pirKPIsCmd ("fixgate pir refresh-kpis PIR-n") recomputes a draft review's KPIs (incidents of the problem
// before and after the fix over equal windows; other KPIs are kept).
// newPIRCmd (pir.go) adds it.
func pirKPIsCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "refresh-kpis PIR-n", Short: "Recompute a draft review's incident KPIs before/after the fix (other KPIs kept)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/pirs/"+args[0]+"/kpis/refresh", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"id", "problem", "release", "kpis"})
		}}
}

package main

import (
	"net/url"

	"github.com/spf13/cobra"
)

// releasePlanCmd prints what to rebuild and redeploy for a fix of the
// named problems: a table in dependency order, or the server's JSON.
func releasePlanCmd(a *app) *cobra.Command {
	var resolves []string
	cmd := &cobra.Command{Use: "plan --resolves PRB-n [--resolves PRB-m]...", Short: "What to rebuild for a fix: the CIs in dependency order, each with its reason",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/releases/plan", url.Values{"resolves": resolves}, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"ci", "current_version", "proposed_version", "depends_on", "reason"})
		}}
	cmd.Flags().StringArrayVar(&resolves, "resolves", nil, "problem the fix resolves, PRB-n (repeatable, required)")
	cmd.MarkFlagRequired("resolves")
	return cmd
}

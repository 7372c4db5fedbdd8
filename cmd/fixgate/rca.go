package main

import (
	"github.com/spf13/cobra"
)

// problemValidateRCACmd is `fixgate problem validate-rca PRB-n`: a
// problem_manager confirms the problem's current root cause analysis (its
// author cannot).
func problemValidateRCACmd(a *app) *cobra.Command {
	var comment string
	var rev int64
	cmd := &cobra.Command{Use: "validate-rca PRB-n", Short: "Validate the problem's current root cause analysis (problem_manager; not its author)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"comment": comment, "revision": rev}
			resp, err := a.call("POST", "/api/v1/problems/"+args[0]+"/rca/validations", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why the analysis holds")
	cmd.Flags().Int64Var(&rev, "revision", 0, "the problem revision you reviewed (refused if it changed since)")
	return cmd
}

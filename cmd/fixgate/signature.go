package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// Subcommands of "problem" for the feedback loop: signatures, closure and
// independent confirmation of a fix. newProblemCmd adds them.

var signatureFields = []string{"id", "problem", "matcher", "created_by", "created_at"}

func problemSignatureCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "signature", Short: "A problem's signatures: label matchers that recognise its alerts and incidents"}
	add := &cobra.Command{Use: "add PRB-n MATCHER", Short: `Add a signature, e.g. '{alertname="HighErrorRate",service="checkout"}'`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/problems/"+args[0]+"/signatures", nil, map[string]any{"matcher": args[1]}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, signatureFields)
		}}
	list := &cobra.Command{Use: "list PRB-n", Short: "List a problem's active signatures", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/problems/"+args[0]+"/signatures", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "matcher", "created_by", "created_at"})
		}}
	remove := &cobra.Command{Use: "remove PRB-n SIG-n", Short: "Withdraw a signature (incidents it matched keep naming it)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("DELETE", "/api/v1/problems/"+args[0]+"/signatures/"+args[1], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, append(signatureFields, "removed_by", "removed_at"))
		}}
	cmd.AddCommand(add, list, remove)
	return cmd
}

func problemCloseCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "close PRB-n", Short: "Close a resolved problem (refused, naming every missing condition, until " +
		"the observation period ended without recurrence, a PIR is completed and a validator confirmed the fix)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/problems/" + args[0]
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", path+"/close", nil, map[string]any{"comment": comment, "revision": revisionOf(cur)}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "closure note")
	return cmd
}

func problemConfirmCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "confirm PRB-n", Short: "Confirm, as a validator outside the release team, that a resolved problem's fix worked",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/problems/"+args[0]+"/confirmations", nil, map[string]any{"comment": comment}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"id", "problem", "validator", "comment", "at"})
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "what was checked")
	return cmd
}

func problemClosureCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "closure PRB-n", Short: "Say whether a problem may close (exit 0) or not (exit 1), with every condition it misses",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/problems/"+args[0]+"/closure", nil, nil, nil)
			if err != nil {
				return err
			}
			var c struct {
				Problem string `json:"problem"`
				Ready   bool   `json:"ready"`
				Missing []struct {
					Condition string `json:"condition"`
					Message   string `json:"message"`
				} `json:"missing"`
			}
			if err := resp.JSON(&c); err != nil {
				return err
			}
			if a.output == "json" {
				if err := a.printJSON(resp.Body); err != nil {
					return err
				}
			} else if c.Ready {
				fmt.Fprintf(a.out, "%s may close\n", c.Problem)
			} else {
				fmt.Fprintf(a.out, "%s cannot close yet:\n", c.Problem)
				for _, m := range c.Missing {
					fmt.Fprintf(a.out, "  %s: %s\n", m.Condition, m.Message)
				}
			}
			if !c.Ready {
				return negative{}
			}
			return nil
		}}
}

func problemReadyCmd(a *app) *cobra.Command {
	cmd := listCmd(a, "List problems ready to close", "/api/v1/problems/ready-to-close", nil,
		[]string{"id", "priority", "title", "resolved_at", "observation_until"})
	cmd.Use = "ready"
	return cmd
}

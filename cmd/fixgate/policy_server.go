package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

// policyFields are the lines `fixgate policy show|apply` print in text mode.
var policyFields = []string{"version", "source", "hash", "created_by", "created_at"}

// policyShowCmd is `fixgate policy show`: the policy in force on the server
// (GET /api/v1/policy); --yaml prints the stored file itself.
func policyShowCmd(a *app) *cobra.Command {
	var yaml bool
	cmd := &cobra.Command{Use: "show", Short: "Show the policy in force on the server (version, hash; --yaml for the file)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/policy", nil, nil, nil)
			if err != nil {
				return err
			}
			if !yaml || a.output == "json" {
				return a.show(resp, policyFields)
			}
			var p struct {
				YAML string `json:"yaml"`
			}
			if err := resp.JSON(&p); err != nil {
				return err
			}
			_, err = fmt.Fprint(a.out, p.YAML)
			return err
		}}
	cmd.Flags().BoolVar(&yaml, "yaml", false, "print the policy file as stored (empty for the built-in default)")
	return cmd
}

// policyApplyCmd is `fixgate policy apply FILE`: replace the server's policy
// (PUT /api/v1/policy, admin). An invalid file is refused with its line and
// reason and the policy in force stays; applying the current file again
// creates no new version.
func policyApplyCmd(a *app) *cobra.Command {
	var rev int64
	cmd := &cobra.Command{Use: "apply FILE", Short: "Replace the server's policy with FILE (admin; versioned and audited)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fault.Field("FILE", "cannot read %s: %v", args[0], err)
			}
			body := map[string]any{"yaml": string(data), "revision": rev}
			resp, err := a.call("PUT", "/api/v1/policy", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, policyFields)
		}}
	cmd.Flags().Int64Var(&rev, "revision", 0, "the policy version you are replacing (refused with 412 if another was applied since)")
	return cmd
}

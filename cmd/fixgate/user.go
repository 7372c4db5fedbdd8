package main

import (
	"github.com/spf13/cobra"
)

var userFields = []string{"name", "display_name", "email", "roles", "disabled", "revision"}

func newUserCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Users and tokens (admin)"}
	var roles []string
	var display, email string
	create := &cobra.Command{Use: "create NAME", Short: "Create a user; prints its token once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/users", nil, map[string]any{"name": args[0], "roles": roles,
				"display_name": display, "email": email}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, append(userFields, "token"))
		}}
	create.Flags().StringArrayVar(&roles, "role", nil, "role (repeatable): admin, problem_manager, release_manager, engineer, cab_member, validator, auditor, pipeline")
	create.Flags().StringVar(&display, "display-name", "", "display name")
	create.Flags().StringVar(&email, "email", "", "e-mail")
	create.MarkFlagRequired("role")

	var uRoles []string
	var disable, enable bool
	update := &cobra.Command{Use: "update NAME", Short: "Change roles, or disable/enable a user", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if cmd.Flags().Changed("role") {
				body["roles"] = uRoles
			}
			if disable || enable {
				body["disabled"] = disable
			}
			return a.patchRead("/api/v1/users/"+args[0], body, userFields)
		}}
	update.Flags().StringArrayVar(&uRoles, "role", nil, "roles (replaces the list)")
	update.Flags().BoolVar(&disable, "disable", false, "disable the user (its tokens stop working)")
	update.Flags().BoolVar(&enable, "enable", false, "enable the user")
	update.MarkFlagsMutuallyExclusive("disable", "enable")

	var label string
	token := &cobra.Command{Use: "token NAME", Short: "Issue another token for a user; prints it once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/users/"+args[0]+"/tokens", nil, map[string]any{"label": label}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"id", "user", "label", "token"})
		}}
	token.Flags().StringVar(&label, "label", "", "what the token is for")
	revoke := &cobra.Command{Use: "revoke-token ID", Short: "Revoke a token", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("DELETE", "/api/v1/tokens/"+args[0], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"id", "revoked"})
		}}
	cmd.AddCommand(create, update, token, revoke,
		showCmd(a, "show NAME", "Show a user", "/api/v1/users/", userFields),
		listCmd(a, "List users", "/api/v1/users", nil, []string{"name", "roles", "disabled"}))
	return cmd
}

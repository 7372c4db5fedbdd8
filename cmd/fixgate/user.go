package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

var userFields = []string{"name", "display_name", "email", "roles", "disabled", "has_password", "revision"}

func newUserCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Users and tokens (admin)"}
	var roles []string
	var display, email string
	var createPw bool
	create := &cobra.Command{Use: "create NAME", Short: "Create a user; prints its token once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var pw string
			if createPw { // read and checked first: a bad password leaves no user behind
				lines, err := readStdinLines(cmd.InOrStdin(), 1)
				if err != nil {
					return err
				}
				pw = lines[0]
				if err := auth.CheckPasswordPolicy(pw); err != nil {
					return err
				}
			}
			resp, err := a.call("POST", "/api/v1/users", nil, map[string]any{"name": args[0], "roles": roles,
				"display_name": display, "email": email}, nil)
			if err != nil {
				return err
			}
			if createPw {
				if _, err := a.call("PUT", "/api/v1/users/"+args[0]+"/password", nil, map[string]any{"password": pw}, nil); err != nil {
					return fmt.Errorf("user %s was created, but its password was not set: %w", args[0], err)
				}
			}
			return a.show(resp, append(userFields[:len(userFields):len(userFields)], "token"))
		}}
	create.Flags().BoolVar(&createPw, "password-stdin", false, "also set the web sign-in password, read from the first line of stdin")
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
	cmd.AddCommand(create, update, token, revoke, newUserPasswordCmd(a),
		showCmd(a, "show NAME", "Show a user", "/api/v1/users/", userFields),
		listCmd(a, "List users", "/api/v1/users", nil, []string{"name", "roles", "disabled"}))
	return cmd
}

// newUserPasswordCmd is `fixgate user password NAME --password-stdin`: an
// admin sets anyone's password; a person their own, giving the current one
// too (--current) when they have one.
func newUserPasswordCmd(a *app) *cobra.Command {
	var fromStdin, current bool
	cmd := &cobra.Command{Use: "password NAME", Short: "Set a user's web sign-in password (ends the user's sessions)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !fromStdin {
				return fault.Field("password-stdin", "is required: pipe the password on stdin (it never goes on the command line)")
			}
			n := 1
			if current {
				n = 2
			}
			lines, err := readStdinLines(cmd.InOrStdin(), n)
			if err != nil {
				return err
			}
			body := map[string]any{"password": lines[n-1]}
			if current {
				body["current_password"] = lines[0]
			}
			resp, err := a.call("PUT", "/api/v1/users/"+args[0]+"/password", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, []string{"name", "has_password", "revision"})
		}}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the new password from the first line of stdin")
	cmd.Flags().BoolVar(&current, "current", false, "changing your own password: stdin holds the current password on its first line, the new one on the second")
	return cmd
}

// readStdinLines reads n lines from r, each without its line ending. A
// missing or empty line is an error naming password-stdin.
func readStdinLines(r io.Reader, n int) ([]string, error) {
	br := bufio.NewReader(r)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		line, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fault.Field("password-stdin", "cannot read stdin: %v", err)
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			return nil, fault.Field("password-stdin", "line %d of stdin is empty; want %d line(s)", i+1, n)
		}
		out = append(out, line)
	}
	return out, nil
}

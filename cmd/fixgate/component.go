package main

import (
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newComponentCmd) }

var componentFields = []string{"id", "ci", "version", "status", "digest", "dependencies", "created_by", "revision"}

// componentPath is the API path of a component version: CV-n or CI@VERSION (the '@' escaped).
func componentPath(ref string) string { return "/api/v1/components/" + url.PathEscape(ref) }

func newComponentCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "component", Short: "Component versions (CI@VERSION): create, show, list, move"}
	var digest string
	var deps []string
	create := &cobra.Command{Use: "create CI@VERSION", Short: "Register a component version as a candidate", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, ver, ok := strings.Cut(args[0], "@")
			if !ok {
				return fault.Field("ref", "%q is not CI@VERSION", args[0])
			}
			dl, err := parseDeps(deps)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", "/api/v1/components", nil,
				map[string]any{"ci": name, "version": ver, "digest": digest, "dependencies": dl}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, componentFields)
		}}
	create.Flags().StringVar(&digest, "digest", "", "artifact digest (sha256:<64 hex>)")
	create.Flags().StringArrayVar(&deps, "depends-on", nil, "dependency CI:CONSTRAINT[:embeds|calls] (repeatable; default calls)")
	show := &cobra.Command{Use: "show REF", Short: "Show a component version (CV-n or CI@VERSION)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", componentPath(args[0]), nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, componentFields)
		}}
	var uDigest string
	var uDeps []string
	update := &cobra.Command{Use: "update REF", Short: "Change a candidate's digest or dependencies", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"digest": uDigest})
			if cmd.Flags().Changed("depends-on") {
				dl, err := parseDeps(uDeps)
				if err != nil {
					return err
				}
				body["dependencies"] = dl
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass --digest or --depends-on")
			}
			return a.patchRead(componentPath(args[0]), body, componentFields)
		}}
	update.Flags().StringVar(&uDigest, "digest", "", "artifact digest (sha256:<64 hex>)")
	update.Flags().StringArrayVar(&uDeps, "depends-on", nil, "dependencies CI:CONSTRAINT[:embeds|calls] (replaces the list; default calls)")
	var comment string
	move := &cobra.Command{Use: "move REF STATE", Short: "Approve, mark unstable or revoke a component version", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.move(componentPath(args[0]), args[1], comment, componentFields)
		}}
	move.Flags().StringVar(&comment, "comment", "", "why")
	cmd.AddCommand(create, show, update, move,
		listCmd(a, "List component versions", "/api/v1/components", []string{"ci", "status"}, []string{"id", "ci", "version", "status", "digest"}))
	return cmd
}

// parseDeps turns CI:CONSTRAINT[:embeds|calls] flags into the API's
// dependency objects (the kind defaults to calls).
func parseDeps(deps []string) ([]map[string]string, error) {
	dl := []map[string]string{}
	for _, d := range deps {
		parts := strings.Split(d, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return nil, fault.Field("depends-on", "%q is not CI:CONSTRAINT[:embeds|calls] (e.g. payments-lib:^2.1:embeds)", d)
		}
		kind := "calls"
		if len(parts) == 3 {
			kind = parts[2]
		}
		if kind != "embeds" && kind != "calls" {
			return nil, fault.Field("depends-on", "%q: the kind is embeds (built in) or calls (called at run time), not %q", d, kind)
		}
		dl = append(dl, map[string]string{"ci": parts[0], "constraint": parts[1], "kind": kind})
	}
	return dl, nil
}

package main

import (
	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

var ciFields = []string{"name", "kind", "owner", "criticality", "depends_on", "description", "revision"}
var envFields = []string{"name", "tier", "tags", "driver", "windows", "freezes", "revision"}

func newCICmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "ci", Short: "Configuration items: create, show, list, update"}
	var kind, owner, crit, desc string
	var deps []string
	create := &cobra.Command{Use: "create NAME", Short: "Create a CI", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/cis", nil, map[string]any{"name": args[0], "kind": kind, "owner": owner,
				"criticality": crit, "description": desc, "depends_on": deps}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, ciFields)
		}}
	create.Flags().StringVar(&kind, "kind", "service", "kind (service, component, database …)")
	create.Flags().StringVar(&owner, "owner", "", "owning team or person")
	create.Flags().StringVar(&crit, "criticality", "medium", "low, medium, high or critical")
	create.Flags().StringVar(&desc, "description", "", "description")
	create.Flags().StringArrayVar(&deps, "depends-on", nil, "a CI this one depends on (repeatable)")

	var uKind, uOwner, uCrit, uDesc string
	var uDeps []string
	update := &cobra.Command{Use: "update NAME", Short: "Change a CI", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"kind": uKind, "owner": uOwner, "criticality": uCrit, "description": uDesc})
			if cmd.Flags().Changed("depends-on") {
				body["depends_on"] = uDeps
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/cis/"+args[0], body, ciFields)
		}}
	update.Flags().StringVar(&uKind, "kind", "", "kind")
	update.Flags().StringVar(&uOwner, "owner", "", "owner")
	update.Flags().StringVar(&uCrit, "criticality", "", "criticality")
	update.Flags().StringVar(&uDesc, "description", "", "description")
	update.Flags().StringArrayVar(&uDeps, "depends-on", nil, "dependencies (replaces the list)")

	cmd.AddCommand(create, update,
		showCmd(a, "show NAME", "Show a CI", "/api/v1/cis/", ciFields),
		listCmd(a, "List CIs", "/api/v1/cis", []string{"kind"}, []string{"name", "kind", "criticality", "owner", "depends_on"}))
	return cmd
}

func newEnvCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "env", Short: "Environments: create, show, list, update; maintenance windows and freezes"}
	var tier, driver string
	var tags []string
	create := &cobra.Command{Use: "create NAME", Short: "Create an environment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"name": args[0], "tier": tier, "tags": tags, "driver": driver}
			resp, err := a.call("POST", "/api/v1/environments", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, envFields)
		}}
	create.Flags().StringVar(&tier, "tier", "", "production, staging, test or development (required)")
	create.Flags().StringArrayVar(&tags, "tag", nil, "tag such as canary or regulated (repeatable)")
	create.Flags().StringVar(&driver, "driver", "", "driver that carries deployments here unless one names another (a policy drivers: entry, or reported)")
	create.MarkFlagRequired("tier")

	var uTier, uDriver string
	var uTags []string
	update := &cobra.Command{Use: "update NAME", Short: "Change an environment's tier, tags or driver", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"tier": uTier, "driver": uDriver})
			if cmd.Flags().Changed("tag") {
				body["tags"] = uTags
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/environments/"+args[0], body, envFields)
		}}
	update.Flags().StringVar(&uTier, "tier", "", "tier")
	update.Flags().StringArrayVar(&uTags, "tag", nil, "tags (replaces the list)")
	update.Flags().StringVar(&uDriver, "driver", "", `driver for deployments here ("" to defer to the policy's environments.NAME.driver)`)
	cmd.AddCommand(create, update, envWindowCmd(a), envFreezeCmd(a),
		showCmd(a, "show NAME", "Show an environment", "/api/v1/environments/", envFields),
		listCmd(a, "List environments", "/api/v1/environments", []string{"tier"}, []string{"name", "tier", "tags"}))
	return cmd
}

// changed keeps the entries whose flag (same name, '_' as '-') was set.
func changed(cmd *cobra.Command, vals map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range vals {
		flag := k
		for i := range flag {
			if flag[i] == '_' {
				flag = flag[:i] + "-" + flag[i+1:]
			}
		}
		if cmd.Flags().Changed(flag) {
			out[k] = v
		}
	}
	return out
}

// showCmd returns "show ID" for a record at prefix+ID.
func showCmd(a *app, use, short, prefix string, fields []string) *cobra.Command {
	return &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", prefix+args[0], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, fields)
		}}
}

// listCmd returns "list" with --limit, --cursor and one string flag per filter.
func listCmd(a *app, short, path string, filters, cols []string) *cobra.Command {
	var limit int
	var cursor string
	vals := make([]string, len(filters))
	cmd := &cobra.Command{Use: "list", Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f := map[string]string{}
			for i, name := range filters {
				f[name] = vals[i]
			}
			resp, err := a.call("GET", path, listQuery(limit, cursor, f), nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, cols)
		}}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after a previous page")
	for i, name := range filters {
		cmd.Flags().StringVar(&vals[i], name, "", "only with this "+name)
	}
	return cmd
}

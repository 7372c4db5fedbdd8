package main

import (
	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/labels"
)

func init() { recordCommands = append(recordCommands, newIncidentCmd) }

var incidentFields = []string{"id", "title", "status", "severity", "source", "ci", "env", "labels", "fingerprint", "opened_at",
	"resolved_at", "external_id", "problem", "deployment", "revision"}

func newIncidentCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "incident", Short: "Incidents: create, show, list, update, resolve, reopen, move"}
	cmd.AddCommand(incidentCreateCmd(a), showCmd(a, "show INC-n", "Show an incident", "/api/v1/incidents/", incidentFields),
		listCmd(a, "List incidents", "/api/v1/incidents", []string{"problem", "status", "ci", "env", "severity", "since", "until"},
			[]string{"id", "severity", "status", "ci", "env", "title", "problem", "opened_at"}),
		incidentUpdateCmd(a), incidentMoveCmd(a, "resolve", "resolved", "Resolve an incident"),
		incidentMoveCmd(a, "reopen", "open", "Reopen a resolved incident"), incidentMoveCmd(a, "move", "", "Move an incident to another state"))
	return cmd
}

// labelFlag parses repeated --label name=value flags.
func labelFlag(pairs []string) (labels.Set, error) { return labels.ParseSet("--label", pairs) }

func incidentCreateCmd(a *app) *cobra.Command {
	var title, ci, env, openedAt, ext, fingerprint, problem, deployment, source string
	var severity int
	var lbls []string
	cmd := &cobra.Command{Use: "create", Short: "Record an incident", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ls, err := labelFlag(lbls)
			if err != nil {
				return err
			}
			body := map[string]any{"title": title, "ci": ci, "env": env, "severity": severity, "labels": ls,
				"external_id": ext, "fingerprint": fingerprint, "problem": problem, "deployment": deployment, "source": source}
			if openedAt != "" {
				body["opened_at"] = openedAt
			}
			resp, err := a.call("POST", "/api/v1/incidents", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, incidentFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title (required)")
	f.StringVar(&ci, "ci", "", "affected CI (required)")
	f.StringVar(&env, "env", "", "environment (required)")
	f.IntVar(&severity, "severity", 0, "severity 1 (highest) to 4 (required)")
	f.StringArrayVar(&lbls, "label", nil, "label name=value (repeatable)")
	f.StringVar(&openedAt, "opened-at", "", "when it started, RFC 3339 with zone (default: now)")
	f.StringVar(&ext, "external-id", "", "id in the reporting system (unique)")
	f.StringVar(&fingerprint, "fingerprint", "", "grouping key (default: derived from the labels)")
	f.StringVar(&problem, "problem", "", "linked problem PRB-n")
	f.StringVar(&deployment, "deployment", "", "deployment DEP-n it is attributed to")
	f.StringVar(&source, "source", "", "api (default), import or alertmanager")
	for _, n := range []string{"title", "ci", "env", "severity"} {
		cmd.MarkFlagRequired(n)
	}
	return cmd
}

func incidentUpdateCmd(a *app) *cobra.Command {
	var title, ci, env, fingerprint, problem, deployment, openedAt string
	var severity int
	var lbls []string
	cmd := &cobra.Command{Use: "update INC-n", Short: "Change an incident's fields or problem link", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"title": title, "ci": ci, "env": env, "severity": severity,
				"fingerprint": fingerprint, "problem": problem, "deployment": deployment, "opened_at": openedAt})
			if cmd.Flags().Changed("label") {
				ls, err := labelFlag(lbls)
				if err != nil {
					return err
				}
				body["labels"] = ls
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/incidents/"+args[0], body, incidentFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title")
	f.StringVar(&ci, "ci", "", "affected CI")
	f.StringVar(&env, "env", "", "environment")
	f.IntVar(&severity, "severity", 0, "severity 1–4")
	f.StringArrayVar(&lbls, "label", nil, "label name=value (repeatable; replaces the labels)")
	f.StringVar(&fingerprint, "fingerprint", "", "grouping key")
	f.StringVar(&problem, "problem", "", "link to problem PRB-n (\"\" unlinks)")
	f.StringVar(&deployment, "deployment", "", "attribute to deployment DEP-n (\"\" clears)")
	f.StringVar(&openedAt, "opened-at", "", "when it started, RFC 3339 with zone")
	return cmd
}

// incidentMoveCmd is "resolve INC-n", "reopen INC-n" (fixed target) or "move INC-n STATE".
func incidentMoveCmd(a *app, name, to, short string) *cobra.Command {
	var comment string
	use, args := name+" INC-n", cobra.ExactArgs(1)
	if to == "" {
		use, args = name+" INC-n STATE", cobra.ExactArgs(2)
	}
	cmd := &cobra.Command{Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			target := to
			if target == "" {
				target = args[1]
			}
			return a.move("/api/v1/incidents/"+args[0], target, comment, incidentFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	return cmd
}

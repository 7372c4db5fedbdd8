package main

import (
	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newKnownErrorCmd) }

var knownErrorFields = []string{"id", "title", "status", "problem", "symptoms", "root_cause", "workaround", "labels", "outcomes", "revision"}

func newKnownErrorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "known-error", Aliases: []string{"ke"}, Short: "Known errors (KEDB): create, show, list, update, move, outcome"}
	cmd.AddCommand(knownErrorCreateCmd(a), showCmd(a, "show KE-n", "Show a known error and its outcome log", "/api/v1/known-errors/", knownErrorFields),
		knownErrorListCmd(a), knownErrorUpdateCmd(a), knownErrorMoveCmd(a), knownErrorOutcomeCmd(a))
	return cmd
}

func knownErrorCreateCmd(a *app) *cobra.Command {
	var title, symptoms, rootCause, workaround, problem string
	var lbls []string
	cmd := &cobra.Command{Use: "create", Short: "Record a known error (draft)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ls, err := labelFlag(lbls)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", "/api/v1/known-errors", nil, map[string]any{"title": title, "symptoms": symptoms,
				"root_cause": rootCause, "workaround": workaround, "problem": problem, "labels": ls}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, knownErrorFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title (required)")
	f.StringVar(&symptoms, "symptoms", "", "how it shows")
	f.StringVar(&rootCause, "root-cause", "", "root cause")
	f.StringVar(&workaround, "workaround", "", "what to do until it is fixed")
	f.StringVar(&problem, "problem", "", "problem PRB-n")
	f.StringArrayVar(&lbls, "label", nil, "label name=value (repeatable)")
	cmd.MarkFlagRequired("title")
	return cmd
}

func knownErrorListCmd(a *app) *cobra.Command {
	var limit int
	var cursor, q, problem, status string
	var lbls []string
	cmd := &cobra.Command{Use: "list", Short: "Search known errors", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := labelFlag(lbls); err != nil {
				return err
			}
			query := listQuery(limit, cursor, map[string]string{"q": q, "problem": problem, "status": status})
			for _, l := range lbls {
				query.Add("label", l)
			}
			resp, err := a.call("GET", "/api/v1/known-errors", query, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "status", "problem", "title", "labels"})
		}}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	f.StringVar(&cursor, "cursor", "", "continue after a previous page")
	f.StringVarP(&q, "query", "q", "", "text in title, symptoms or workaround (case-insensitive)")
	f.StringVar(&problem, "problem", "", "only for this problem")
	f.StringVar(&status, "status", "", "only in this state")
	f.StringArrayVar(&lbls, "label", nil, "only carrying label name=value (repeatable)")
	return cmd
}

func knownErrorUpdateCmd(a *app) *cobra.Command {
	var title, symptoms, rootCause, workaround, problem string
	var lbls []string
	cmd := &cobra.Command{Use: "update KE-n", Short: "Change a known error's fields", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"title": title, "symptoms": symptoms, "root_cause": rootCause,
				"workaround": workaround, "problem": problem})
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
			return a.patchRead("/api/v1/known-errors/"+args[0], body, knownErrorFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title")
	f.StringVar(&symptoms, "symptoms", "", "how it shows")
	f.StringVar(&rootCause, "root-cause", "", "root cause")
	f.StringVar(&workaround, "workaround", "", "workaround")
	f.StringVar(&problem, "problem", "", "problem PRB-n (\"\" unlinks)")
	f.StringArrayVar(&lbls, "label", nil, "label name=value (repeatable; replaces the labels)")
	return cmd
}

func knownErrorMoveCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "move KE-n STATE", Short: "Publish, retire or republish a known error", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.move("/api/v1/known-errors/"+args[0], args[1], comment, knownErrorFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	return cmd
}

func knownErrorOutcomeCmd(a *app) *cobra.Command {
	var release, deployment, outcome, note, at string
	cmd := &cobra.Command{Use: "outcome KE-n", Short: "Record what a release or deployment did to the known error", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"release": release, "deployment": deployment, "outcome": outcome, "note": note}
			if at != "" {
				body["at"] = at
			}
			resp, err := a.call("POST", "/api/v1/known-errors/"+args[0]+"/outcomes", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, knownErrorFields)
		}}
	f := cmd.Flags()
	f.StringVar(&release, "release", "", "release REL-n")
	f.StringVar(&deployment, "deployment", "", "deployment DEP-n")
	f.StringVar(&outcome, "outcome", "", "fixed, recurred, rolled_back or inconclusive (required)")
	f.StringVar(&note, "note", "", "what was observed")
	f.StringVar(&at, "at", "", "when, RFC 3339 with zone (default: now)")
	cmd.MarkFlagRequired("outcome")
	return cmd
}

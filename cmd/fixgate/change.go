package main

import (
	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newChangeCmd) }

var changeFields = []string{"id", "title", "type", "status", "release", "env", "change_model", "risk_class", "risk_computed", "risk_justification", "requested_by",
	"planned_start", "planned_end", "deviations", "revision"}

func newChangeCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "change", Short: "Changes: create, show, list, update, move, deviation, checklist, check, uncheck"}
	cmd.AddCommand(changeCreateCmd(a), showCmd(a, "show CHG-n", "Show a change", "/api/v1/changes/", changeFields),
		listCmd(a, "List changes", "/api/v1/changes", []string{"status", "type", "release", "env"},
			[]string{"id", "type", "status", "risk_class", "release", "env", "planned_start", "title"}),
		changeUpdateCmd(a), changeMoveCmd(a), changeDeviationCmd(a))
	cmd.AddCommand(changeChecklistCmds(a)...) // change_checklist.go
	return cmd
}

// changeFlags are the settable fields of a change, shared by create and update.
type changeFlags struct {
	title, typ, release, env, model, risk, why, start, end string
}

func (c *changeFlags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.title, "title", "", "title")
	f.StringVar(&c.typ, "type", "", "standard, normal or emergency (default: the change model's default_change_type)")
	f.StringVar(&c.release, "release", "", "the release it deploys, REL-n")
	f.StringVar(&c.env, "env", "", "target environment")
	f.StringVar(&c.model, "change-model", "", "change model (from the policy)")
	f.StringVar(&c.risk, "risk-class", "", "override the computed risk class: low, medium, high or critical")
	f.StringVar(&c.why, "risk-justification", "", "why the risk class differs from the computed one (required then; audited)")
	f.StringVar(&c.start, "planned-start", "", "planned start, RFC 3339 (e.g. 2026-03-01T22:00:00Z)")
	f.StringVar(&c.end, "planned-end", "", "planned end, RFC 3339")
}

func (c *changeFlags) body(cmd *cobra.Command) map[string]any {
	return changed(cmd, map[string]any{"title": c.title, "type": c.typ, "release": c.release, "env": c.env,
		"change_model": c.model, "risk_class": c.risk, "risk_justification": c.why, "planned_start": c.start, "planned_end": c.end})
}

func changeCreateCmd(a *app) *cobra.Command {
	var in changeFlags
	cmd := &cobra.Command{Use: "create", Short: "Raise a change (you are its requester)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/changes", nil, in.body(cmd), nil)
			if err != nil {
				return err
			}
			return a.show(resp, changeFields)
		}}
	in.bind(cmd)
	cmd.MarkFlagRequired("title")
	return cmd
}

func changeUpdateCmd(a *app) *cobra.Command {
	var in changeFlags
	cmd := &cobra.Command{Use: "update CHG-n", Short: "Change a change's fields", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := in.body(cmd)
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/changes/"+args[0], body, changeFields)
		}}
	in.bind(cmd)
	return cmd
}

func changeMoveCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "move CHG-n STATE", Short: "Move a change to another state", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.move("/api/v1/changes/"+args[0], args[1], comment, changeFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	return cmd
}

func changeDeviationCmd(a *app) *cobra.Command {
	var step, reason, approver, from, to string
	cmd := &cobra.Command{Use: "deviation CHG-n", Short: "Record an approved deviation from the change process", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"step_skipped": step, "reason": reason, "approved_by": approver}
			for k, v := range changed(cmd, map[string]any{"from": from, "to": to}) {
				body[k] = v
			}
			resp, err := a.call("POST", "/api/v1/changes/"+args[0]+"/deviations", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, changeFields)
		}}
	f := cmd.Flags()
	f.StringVar(&step, "step", "", "the process step skipped, e.g. cab or maintenance_window (required)")
	f.StringVar(&reason, "reason", "", "why it was skipped (required)")
	f.StringVar(&approver, "approved-by", "", "user who approved the deviation (required)")
	f.StringVar(&from, "from", "", "start of the period the deviation covers, RFC 3339 (default: unbounded)")
	f.StringVar(&to, "to", "", "end of the period (exclusive), RFC 3339, after --from (default: unbounded)")
	cmd.MarkFlagRequired("step")
	cmd.MarkFlagRequired("reason")
	cmd.MarkFlagRequired("approved-by")
	return cmd
}

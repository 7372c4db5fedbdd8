package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newPIRCmd) }

var pirFields = []string{"id", "status", "problem", "release", "root_cause_eliminated", "kpis", "findings", "finding_tags",
	"checklist", "completed_by", "completed_at", "revision"}

func newPIRCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "pir", Short: "Post-implementation reviews: create, show, list, update, move, complete"}
	cmd.AddCommand(pirCreateCmd(a), showCmd(a, "show PIR-n", "Show a review", "/api/v1/pirs/", pirFields),
		listCmd(a, "List reviews", "/api/v1/pirs", []string{"problem", "release", "status"},
			[]string{"id", "status", "problem", "release", "root_cause_eliminated", "completed_by"}),
		pirUpdateCmd(a), pirMoveCmd(a, "move PIR-n STATE", ""), pirMoveCmd(a, "complete PIR-n", "completed"), pirKPIsCmd(a))
	return cmd
}

// pirFlags are the editable fields of a review, shared by create and update.
type pirFlags struct {
	release, findings, eliminated string
	kpis, checklist, tags         []string
}

func (p *pirFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.release, "release", "", "release REL-n that carried the fix")
	f.StringVar(&p.eliminated, "root-cause-eliminated", "", "verdict: yes or no")
	f.StringArrayVar(&p.kpis, "kpi", nil, "KPI name=number, e.g. incidents_before=12 (repeatable; on update replaces all)")
	f.StringVar(&p.findings, "findings", "", "what the review found")
	f.StringArrayVar(&p.checklist, "checklist", nil, "checklist item for similar fixes (repeatable; on update replaces all)")
	f.StringArrayVar(&p.tags, "tag", nil, "finding tag: a root cause category of the policy, e.g. testing_gap (repeatable; on update replaces all)")
}

// body returns the JSON fields whose flags were set (all of them when all).
func (p *pirFlags) body(cmd *cobra.Command, all bool) (map[string]any, error) {
	out := map[string]any{}
	set := func(flag, key string, v any) {
		if all || cmd.Flags().Changed(flag) {
			out[key] = v
		}
	}
	set("release", "release", p.release)
	set("findings", "findings", p.findings)
	set("checklist", "checklist", nonNilList(p.checklist))
	set("tag", "finding_tags", nonNilList(p.tags))
	if cmd.Flags().Changed("root-cause-eliminated") {
		switch strings.ToLower(p.eliminated) {
		case "yes", "true":
			out["root_cause_eliminated"] = true
		case "no", "false":
			out["root_cause_eliminated"] = false
		default:
			return nil, fault.Field("--root-cause-eliminated", "must be yes or no, not %q", p.eliminated)
		}
	}
	if all || cmd.Flags().Changed("kpi") {
		kpis := map[string]float64{}
		for _, kv := range p.kpis {
			k, v, ok := strings.Cut(kv, "=")
			n, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				return nil, fault.Field("--kpi", "%q is not name=number", kv)
			}
			kpis[k] = n
		}
		out["kpis"] = kpis
	}
	return out, nil
}

func nonNilList(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func pirCreateCmd(a *app) *cobra.Command {
	var problem string
	var fl pirFlags
	cmd := &cobra.Command{Use: "create", Short: "Start a post-implementation review (draft)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := fl.body(cmd, true)
			if err != nil {
				return err
			}
			body["problem"] = problem
			resp, err := a.call("POST", "/api/v1/pirs", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, pirFields)
		}}
	cmd.Flags().StringVar(&problem, "problem", "", "problem PRB-n under review (required)")
	fl.register(cmd)
	cmd.MarkFlagRequired("problem")
	return cmd
}

func pirUpdateCmd(a *app) *cobra.Command {
	var fl pirFlags
	cmd := &cobra.Command{Use: "update PIR-n", Short: "Change a draft review", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := fl.body(cmd, false)
			if err != nil {
				return err
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/pirs/"+args[0], body, pirFields)
		}}
	fl.register(cmd)
	return cmd
}

// pirMoveCmd is "move PIR-n STATE" (to "") or "complete PIR-n".
func pirMoveCmd(a *app, use, to string) *cobra.Command {
	var comment string
	n := cobra.ExactArgs(2)
	short := "Move a review to another state"
	if to != "" {
		n, short = cobra.ExactArgs(1), "Complete a review (needs --root-cause-eliminated and --findings set)"
	}
	cmd := &cobra.Command{Use: use, Short: short, Args: n,
		RunE: func(cmd *cobra.Command, args []string) error {
			target := to
			if target == "" {
				target = args[1]
			}
			return a.move("/api/v1/pirs/"+args[0], target, comment, pirFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	return cmd
}

package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/client"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newDeployCmd) }

func newDeployCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "deploy", Short: "Deployments: create, show, list, move, advance, event, events, live"}
	cmd.AddCommand(deployCreateCmd(a),
		deployShowCmd(a),
		listCmd(a, "List deployments", "/api/v1/deployments", []string{"release", "env", "status"},
			[]string{"id", "release", "env", "status", "current_stage", "finished_at"}),
		deployUpdateCmd(a), deployMoveCmd(a), deployAdvanceCmd(a), deployEventCmd(a), deployEventsCmd(a), deployLiveCmd(a))
	cmd.AddCommand(deployRunCmds(a)...)
	return cmd
}

func deployCreateCmd(a *app) *cobra.Command {
	var rel, env, change string
	var stages []string
	cmd := &cobra.Command{Use: "create", Short: "Record a planned deployment (pending; deploy start runs one through the gate)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"release": rel, "env": env}
			if change != "" {
				body["change"] = change
			}
			if len(stages) > 0 {
				path, err := parseStages(stages)
				if err != nil {
					return err
				}
				body["path"] = path
			}
			resp, err := a.call("POST", "/api/v1/deployments", nil, body, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
	f := cmd.Flags()
	f.StringVar(&rel, "release", "", "release REL-n (required)")
	f.StringVar(&env, "env", "", "target environment (required)")
	f.StringVar(&change, "change", "", "change CHG-n authorising it")
	f.StringArrayVar(&stages, "stage", nil, "rollout stage NAME:WEIGHT, in order, the last at 100 (repeatable; default full:100)")
	cmd.MarkFlagRequired("release")
	cmd.MarkFlagRequired("env")
	return cmd
}

// parseStages turns --stage NAME:WEIGHT flags into a path.
func parseStages(stages []string) ([]deploy.Stage, error) {
	path := make([]deploy.Stage, len(stages))
	for i, s := range stages {
		st, err := deploy.ParseStage("--stage", s)
		if err != nil {
			return nil, err
		}
		path[i] = st
	}
	return path, nil
}

func deployUpdateCmd(a *app) *cobra.Command {
	var change string
	var stages []string
	cmd := &cobra.Command{Use: "update DEP-n", Short: "Change the path or change of a deployment that has not started", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"change": change})
			if cmd.Flags().Changed("stage") {
				path, err := parseStages(stages)
				if err != nil {
					return err
				}
				body["path"] = path
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass --stage or --change")
			}
			path := "/api/v1/deployments/" + args[0]
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			resp, err := a.call("PATCH", path, nil, body, map[string]string{"If-Match": cur.ETag})
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
	cmd.Flags().StringVar(&change, "change", "", "change CHG-n authorising it")
	cmd.Flags().StringArrayVar(&stages, "stage", nil, "rollout stage NAME:WEIGHT (replaces the path)")
	return cmd
}

func deployMoveCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "move DEP-n STATE", Short: "Move a deployment by hand (pending, blocked, failed, aborted; the engine owns the rest)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/deployments/" + args[0]
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			body := map[string]any{"to": args[1], "comment": comment, "revision": revisionOf(cur)}
			resp, err := a.call("POST", path+"/transitions", nil, body, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why (logged with the event)")
	return cmd
}

func deployAdvanceCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "advance DEP-n", Short: "Advance a running deployment to its next stage", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/deployments/" + args[0]
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", path+"/advance", nil, map[string]any{"comment": comment, "revision": revisionOf(cur)}, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why (e.g. the analysis that passed)")
	return cmd
}

var deployEventCols = []string{"id", "at", "kind", "stage", "actor", "message", "links"}

func deployEventCmd(a *app) *cobra.Command {
	var kind, message string
	var links []string
	cmd := &cobra.Command{Use: "event DEP-n", Short: "Append an event to a deployment's log", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"kind": kind, "message": message, "links": links}
			resp, err := a.call("POST", "/api/v1/deployments/"+args[0]+"/events", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, deployEventCols)
		}}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "", "a short word, e.g. smoke-test, analysis, driver (required)")
	f.StringVar(&message, "message", "", "what happened")
	f.StringArrayVar(&links, "link", nil, "a record involved, e.g. INC-12 (repeatable)")
	cmd.MarkFlagRequired("kind")
	return cmd
}

func deployEventsCmd(a *app) *cobra.Command {
	var limit int
	var cursor string
	cmd := &cobra.Command{Use: "events DEP-n", Short: "Show a deployment's event log", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/deployments/"+args[0]+"/events", listQuery(limit, cursor, nil), nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, deployEventCols)
		}}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	cmd.Flags().StringVar(&cursor, "cursor", "", "continue after a previous page")
	return cmd
}

func deployLiveCmd(a *app) *cobra.Command {
	var at string
	cmd := &cobra.Command{Use: "live ENV", Short: "What runs in an environment: the last succeeded deployment per CI", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if at != "" {
				q.Set("at", at)
			}
			resp, err := a.call("GET", "/api/v1/environments/"+url.PathEscape(args[0])+"/live", q, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"deployment", "release", "version", "cis", "components", "finished_at"})
		}}
	cmd.Flags().StringVar(&at, "at", "", "at this time (RFC 3339, e.g. 2026-03-02T10:00:00Z; default now)")
	return cmd
}

func deployShowCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "show DEP-n", Short: "Show a deployment", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/deployments/"+args[0], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
}

// showDeployment prints a deployment with its path as "canary 10% → full 100%"
// and its current stage by name.
func (a *app) showDeployment(resp *client.Response) error {
	if a.output == "json" {
		return a.printJSON(resp.Body)
	}
	var d deploy.Deployment
	if err := resp.JSON(&d); err != nil {
		return err
	}
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	for _, kv := range [][2]string{{"id", d.ID}, {"release", d.Release}, {"env", d.Env}, {"change", d.Change}, {"status", d.Status},
		{"path", deploy.PathString(d.Path)}, {"stage", fmt.Sprintf("%s (%d of %d)", d.Stage().Name, d.CurrentStage+1, len(d.Path))},
		{"started_at", deployTime(d.StartedAt)}, {"finished_at", deployTime(d.FinishedAt)}, {"created_by", d.CreatedBy},
		{"revision", fmt.Sprint(d.Revision)}} {
		fmt.Fprintf(w, "%s:\t%s\n", kv[0], text(kv[1]))
	}
	return w.Flush()
}

func deployTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

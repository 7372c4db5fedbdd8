package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// The rollout engine's commands: start (through the gate), status, log,
// promote, rollback, abort, report, wait.
func deployRunCmds(a *app) []*cobra.Command {
	return []*cobra.Command{deployStartCmd(a), deployStatusCmd(a), deployLogCmd(a), deployWaitCmd(a), deployReportCmd(a),
		deployCommandCmd(a, "promote", "Promote now (skip the rest of the stage's analysis) or resume a paused deployment"),
		deployCommandCmd(a, "rollback", "Roll back through the driver (running, paused, or in the watch window)"),
		deployCommandCmd(a, "abort", "Abort (the driver is told when it was running)")}
}

func deployStartCmd(a *app) *cobra.Command {
	var env, pathName, change, drv, timeout, until, deviation string
	var stages []string
	var wait bool
	cmd := &cobra.Command{Use: "start REL-n --env NAME", Short: "Start a deployment through the gate (exit 0 started, 1 blocked; --wait as deploy wait)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"release": args[0], "env": env, "path": pathName, "change": change, "driver": drv, "deviation": deviation}
			if len(stages) > 0 {
				path, err := parseStages(stages)
				if err != nil {
					return err
				}
				body["stages"] = path
			}
			resp, err := a.call("POST", "/api/v1/deployments/start", nil, body, nil)
			if err != nil {
				return err
			}
			var out struct {
				Deployment deploy.Deployment    `json:"deployment"`
				Gate       store.GateEvaluation `json:"gate"`
			}
			if err := json.Unmarshal(resp.Body, &out); err != nil {
				return fault.Wrap(err, "decode start")
			}
			if a.output == "json" {
				err = a.printJSON(resp.Body)
			} else {
				fmt.Fprintf(a.out, "%s %s into %s: %s\n", out.Deployment.ID, out.Deployment.Release, out.Deployment.Env, out.Deployment.Status)
				err = writeVerdict(a, out.Gate)
			}
			if err != nil {
				return err
			}
			if out.Deployment.Status == deploy.Blocked {
				return negative{msg: fmt.Sprintf("fixgate: %s is blocked by %s", out.Deployment.ID, out.Gate.ID)}
			}
			if !wait {
				return nil
			}
			return a.waitDeployment(out.Deployment.ID, timeout, until)
		}}
	f := cmd.Flags()
	f.StringVar(&env, "env", "", "target environment (required)")
	f.StringVar(&pathName, "path", "", "a named path of the policy (default: the environment's, else the change model's, else full:100)")
	f.StringArrayVar(&stages, "stage", nil, "stage NAME:WEIGHT[:DURATION] in order, the last at 100 (repeatable); DURATION 0 or absent: wait for deploy promote")
	f.StringVar(&change, "change", "", "change CHG-n authorising it")
	f.StringVar(&deviation, "deviation", "", "an approved deviation of the change (CHG-n#i: the i-th deviation that `fixgate change show CHG-n` lists) the start relies on; implies --change")
	f.StringVar(&drv, "driver", "", "driver name (default: the policy's environments.NAME.driver; \"reported\" needs no configuration)")
	f.BoolVar(&wait, "wait", false, "wait for the outcome as deploy wait does")
	f.StringVar(&timeout, "timeout", "30m", "with --wait: give up after this long (exit 2)")
	f.StringVar(&until, "until", "succeeded", "with --wait: succeeded or verified")
	cmd.MarkFlagRequired("env")
	return cmd
}

func deployStatusCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "status DEP-n", Short: "A deployment's status, stage and times", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/deployments/"+args[0], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
}

func deployLogCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "log DEP-n", Short: "A deployment's events, driver actions and measurements", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/deployments/"+args[0]+"/log", nil, nil, nil)
			if err != nil || a.output == "json" {
				if err == nil {
					err = a.printJSON(resp.Body)
				}
				return err
			}
			var l struct {
				Events  []deploy.Event           `json:"events"`
				Actions []store.DeploymentAction `json:"actions"`
				Ms      []struct {
					At                                       time.Time
					Stage, Template, Check, Outcome, Message string
				} `json:"measurements"`
			}
			if err := json.Unmarshal(resp.Body, &l); err != nil {
				return fault.Wrap(err, "decode log")
			}
			for _, e := range l.Events {
				fmt.Fprintf(a.out, "%s  %-8s %-10s %s\n", e.At.Format(time.RFC3339), e.Stage, e.Kind, e.Message)
			}
			for _, x := range l.Actions {
				fmt.Fprintf(a.out, "action %d %s %s %d%%: %s (attempts %d, key %s)\n", x.Seq, x.Kind, x.StageName, x.Weight, x.Status, x.Attempts, x.Key)
			}
			for _, m := range l.Ms {
				fmt.Fprintf(a.out, "%s  measure %s %s/%s: %s %s\n", m.At.Format(time.RFC3339), m.Stage, m.Template, m.Check, m.Outcome, m.Message)
			}
			return nil
		}}
}

func deployCommandCmd(a *app, verb, short string) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: verb + " DEP-n", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/deployments/"+args[0]+"/"+verb, nil, map[string]any{"comment": comment}, nil)
			if err != nil {
				return err
			}
			return a.showDeployment(resp)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why (kept in the deployment's log)")
	return cmd
}

func deployReportCmd(a *app) *cobra.Command {
	var stage, status, message string
	cmd := &cobra.Command{Use: "report DEP-n --stage NAME --status succeeded|failed", Short: "Report a stage (or \"rollback\") of a deployment with a reported driver",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("POST", "/api/v1/deployments/"+args[0]+"/report", nil,
				map[string]any{"stage": stage, "status": status, "message": message}, nil)
			if err != nil {
				return err
			}
			return a.printJSON(resp.Body)
		}}
	f := cmd.Flags()
	f.StringVar(&stage, "stage", "", "the stage's name, or rollback (required)")
	f.StringVar(&status, "status", "", "succeeded or failed (required)")
	f.StringVar(&message, "message", "", "what the pipeline says")
	cmd.MarkFlagRequired("stage")
	cmd.MarkFlagRequired("status")
	return cmd
}

func deployWaitCmd(a *app) *cobra.Command {
	var timeout, until string
	cmd := &cobra.Command{Use: "wait DEP-n", Short: "Wait for a deployment's outcome (exit 0 succeeded at 100% or verified with --until verified, 1 rolled back, failed, aborted or blocked, 2 error or timeout)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return a.waitDeployment(args[0], timeout, until) }}
	cmd.Flags().StringVar(&timeout, "timeout", "30m", "give up after this long (exit 2)")
	cmd.Flags().StringVar(&until, "until", "succeeded", "succeeded or verified")
	return cmd
}

// waitDeployment polls the deployment every 500 ms until its outcome.
func (a *app) waitDeployment(id, timeout, until string) error {
	to, err := time.ParseDuration(timeout)
	if err != nil || to <= 0 {
		return fault.Field("timeout", "%q is not a duration (e.g. 10m)", timeout)
	}
	if until != "succeeded" && until != "verified" {
		return fault.Field("until", "must be succeeded or verified, not %q", until)
	}
	end := time.Now().Add(to)
	for {
		resp, err := a.call("GET", "/api/v1/deployments/"+id, nil, nil, nil)
		if err != nil {
			return err
		}
		var d deploy.Deployment
		if err := json.Unmarshal(resp.Body, &d); err != nil {
			return fault.Wrap(err, "decode deployment")
		}
		switch {
		case d.Status == deploy.Succeeded && (until == "succeeded" || d.VerifiedAt != nil):
			fmt.Fprintf(a.out, "%s %s\n", d.ID, map[bool]string{true: "verified", false: "succeeded"}[d.VerifiedAt != nil])
			return nil
		case d.Status == deploy.RolledBack || d.Status == deploy.Failed || d.Status == deploy.Aborted || d.Status == deploy.Blocked:
			why := strings.TrimSpace(d.RollbackCause + " " + d.PauseReason)
			return negative{msg: fmt.Sprintf("fixgate: %s is %s %s", d.ID, d.Status, why)}
		}
		if time.Now().After(end) {
			return fault.New(fault.Unavailable, "%s is still %s after %s", d.ID, d.Status, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

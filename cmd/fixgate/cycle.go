package main

import (
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/api"
	"fixgate/internal/cycle"
	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newCycleCmd) }

var cycleFields = []string{"id", "name", "starts_at", "ends_at", "envs", "problems", "created_by", "revision"}

func newCycleCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "cycle", Short: "Release cycles for recurring problems: create, plan, add, remove, show, list"}
	cmd.AddCommand(cycleCreateCmd(a), cyclePlanCmd(a), cycleTargetCmd(a, "add"), cycleTargetCmd(a, "remove"), cycleShowCmd(a),
		&cobra.Command{Use: "list", Short: "List release cycles", Args: cobra.NoArgs, RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/cycles", nil, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "name", "starts_at", "ends_at", "envs"})
		}})
	return cmd
}

func cycleCreateCmd(a *app) *cobra.Command {
	var from, to string
	var envs []string
	cmd := &cobra.Command{Use: "create NAME --from DATE --to DATE --env ENV...", Short: "Create a release cycle (a sprint, a patch train)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start, err := cycleDate("from", from)
			if err != nil {
				return err
			}
			end, err := cycleDate("to", to)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", "/api/v1/cycles", nil, map[string]any{"name": args[0], "starts_at": start, "ends_at": end, "envs": envs}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, cycleFields)
		}}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "start of the window: YYYY-MM-DD or RFC 3339 (required)")
	f.StringVar(&to, "to", "", "end of the window: YYYY-MM-DD or RFC 3339 (required)")
	f.StringSliceVar(&envs, "env", nil, "target environment (repeatable, required)")
	cmd.MarkFlagRequired("from")
	cmd.MarkFlagRequired("to")
	return cmd
}

// cycleDate reads YYYY-MM-DD (midnight UTC) or an RFC 3339 time.
func cycleDate(field, s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fault.Field(field, "%q is not a date (YYYY-MM-DD) or an RFC 3339 time", s)
	}
	return t, nil
}

func cycleTargetCmd(a *app, verb string) *cobra.Command {
	short := "Target a problem in a release cycle"
	if verb == "remove" {
		short = "Stop targeting a problem in a release cycle"
	}
	return &cobra.Command{Use: verb + " CYCLE PRB-n", Short: short, Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/cycles/" + url.PathEscape(args[0]) + "/problems"
			method, body := "POST", any(map[string]any{"problem": args[1]})
			if verb == "remove" {
				method, path, body = "DELETE", path+"/"+url.PathEscape(args[1]), nil
			}
			resp, err := a.call(method, path, nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, cycleFields)
		}}
}

func cycleShowCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "show CYCLE", Short: "Show a release cycle with each targeted problem's state and release", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/cycles/"+url.PathEscape(args[0]), nil, nil, nil)
			if err != nil || a.output == "json" {
				if err == nil {
					err = a.printJSON(resp.Body)
				}
				return err
			}
			if err := a.show(resp, cycleFields); err != nil {
				return err
			}
			var out struct {
				Targets []cycle.Target `json:"targets"`
			}
			if err := resp.JSON(&out); err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "\nPROBLEM\tPRIORITY\tSTATE\tRELEASES\tTITLE")
			for _, t := range out.Targets {
				var rels []string
				for _, r := range t.Releases {
					rels = append(rels, r.ID+" "+r.Version+" ("+r.Status+")")
				}
				fmt.Fprintf(w, "%s\tP%d\t%s\t%s\t%s\n", t.Problem, t.Priority, t.Status, dashed(strings.Join(rels, ", ")), t.Title)
			}
			return w.Flush()
		}}
}

func cyclePlanCmd(a *app) *cobra.Command {
	var since string
	cmd := &cobra.Command{Use: "plan [--since 90d]", Short: "Propose the problems to target, ranked by recurrence, with the risk of bundling them",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/cycles/plan", url.Values{"since": {since}}, nil, nil)
			if err != nil || a.output == "json" {
				if err == nil {
					err = a.printJSON(resp.Body)
				}
				return err
			}
			var plan api.CyclePlan
			if err := resp.JSON(&plan); err != nil {
				return err
			}
			return printCyclePlan(a, plan)
		}}
	cmd.Flags().StringVar(&since, "since", "90d", "look-back window: Nd, Nw or a duration such as 36h")
	return cmd
}

func printCyclePlan(a *app, plan api.CyclePlan) error {
	w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Incidents from %s to %s\n\n", plan.Since.Format(time.DateOnly), plan.Until.Format(time.DateOnly))
	fmt.Fprintln(w, "RANK\tPROBLEM\tPRIORITY\tINCIDENTS\tPER WEEK\tAFTER FIX\tRECURRENCES\tSCORE\tCYCLES\tTITLE")
	for i, p := range plan.Proposals {
		fmt.Fprintf(w, "%d\t%s\tP%d\t%d\t%.2f\t%d\t%d\t%.2f\t%s\t%s\n", i+1, p.Problem, p.Priority, p.Incidents, p.PerWeek,
			p.AfterFix, p.Recurrences, p.Score, dashed(strings.Join(p.Cycles, ",")), p.Title)
	}
	for _, p := range plan.Proposals {
		if p.Systemic {
			fmt.Fprintf(w, "\n%s: systemic fix over workaround: it only has a workaround and keeps recurring", p.Problem)
		}
	}
	if len(plan.Bundles) > 0 {
		fmt.Fprintln(w, "\n\nRELEASE\tVERSION\tRISK NOW\tRISK BUNDLED\tADDS")
		for _, b := range plan.Bundles {
			mark := ""
			if b.Raises {
				mark = " (raises)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s%s\t%s\n", b.Release, b.Version, b.RiskNow, b.RiskBundled, mark, strings.Join(b.Adds, ", "))
		}
	}
	return w.Flush()
}

func dashed(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

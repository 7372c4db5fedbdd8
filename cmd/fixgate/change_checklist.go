package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"fixgate/internal/change"
	"fixgate/internal/client"
)

// Change checklist commands: `fixgate change checklist|check|uncheck CHG-n`.
// A tick is the caller's attestation; the gate's rule checklist requires
// every item of the change's model to be ticked.

func changeChecklistCmds(a *app) []*cobra.Command {
	show := &cobra.Command{Use: "checklist CHG-n", Short: "The change's checklist: each item of its change model, ticked or not, and what is missing",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", checklistPath(args[0]), nil, nil, nil)
			if err != nil {
				return err
			}
			return a.showChecklist(resp)
		}}
	var item, evidence string
	check := &cobra.Command{Use: "check CHG-n --item TEXT", Short: "Tick an item of the change's checklist: your attestation that it is done (with --evidence, a note or link)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.editChecklist(args[0], map[string]any{"item": item, "ticked": true, "evidence": evidence})
		}}
	check.Flags().StringVar(&item, "item", "", "the item's text, as `fixgate change checklist` shows it (required)")
	check.Flags().StringVar(&evidence, "evidence", "", "evidence: a note or a link (optional, up to 2000 characters)")
	check.MarkFlagRequired("item")
	var untick string
	uncheck := &cobra.Command{Use: "uncheck CHG-n --item TEXT", Short: "Withdraw the tick of an item of the change's checklist",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.editChecklist(args[0], map[string]any{"item": untick, "ticked": false})
		}}
	uncheck.Flags().StringVar(&untick, "item", "", "the item's text (required)")
	uncheck.MarkFlagRequired("item")
	return []*cobra.Command{show, check, uncheck}
}

func checklistPath(chg string) string { return "/api/v1/changes/" + chg + "/checklist" }

// editChecklist reads the checklist for the change's revision, then posts
// body with If-Match, so an edit made in between is refused, not overwritten.
func (a *app) editChecklist(chg string, body map[string]any) error {
	cur, err := a.call("GET", checklistPath(chg), nil, nil, nil)
	if err != nil {
		return err
	}
	resp, err := a.call("POST", checklistPath(chg), nil, body, map[string]string{"If-Match": cur.ETag})
	if err != nil {
		return err
	}
	return a.showChecklist(resp)
}

// showChecklist prints a checklist: JSON as the server sent it, or one
// line per item ([x] ticked, with who, when and the evidence) and what is
// missing.
func (a *app) showChecklist(resp *client.Response) error {
	if a.output == "json" {
		return a.printJSON(resp.Body)
	}
	var cl change.Checklist
	if err := resp.JSON(&cl); err != nil {
		return err
	}
	model := cl.Model
	if model == "" {
		model = "(none)"
	}
	frozen := "the model's current list applies until the change is scheduled"
	if cl.FrozenAt != nil {
		frozen = "frozen when the change was scheduled, " + cl.FrozenAt.Format(time.RFC3339)
	}
	fmt.Fprintf(a.out, "%s  change model %s  revision %d  (%s)\n", cl.Change, model, cl.Revision, frozen)
	for _, it := range cl.Items {
		if !it.Ticked {
			fmt.Fprintf(a.out, "[ ] %s  (%s)\n", it.Item, it.Source)
			continue
		}
		line := fmt.Sprintf("[x] %s  (%s)  by %s at %s", it.Item, it.Source, it.TickedBy, it.TickedAt.Format(time.RFC3339))
		if it.Evidence != "" {
			line += "  evidence: " + it.Evidence
		}
		fmt.Fprintln(a.out, line)
	}
	fmt.Fprintf(a.out, "missing: %d of %d\n", len(cl.Missing), len(cl.Items))
	return nil
}

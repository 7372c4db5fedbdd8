package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// Subcommands of "gate" that read stored evaluations (GATE-n); newGateCmd adds them.

var gateListCols = []string{"id", "release", "environment", "decision", "risk_class", "at", "created_by"}

func gateShowCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "show GATE-n", Short: "Show a stored gate evaluation: its verdict with one line per rule, who asked and the input revisions",
		Long: "Prints a stored evaluation as `gate check` printed it. The exit code is 0 whatever the decision was:\n" +
			"this reads a record; ask `gate check` again for a fresh decision.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/gates/evaluations/"+url.PathEscape(args[0]), nil, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var ev store.GateEvaluation
			if err := json.Unmarshal(resp.Body, &ev); err != nil {
				return fault.Wrap(err, "decode evaluation")
			}
			if err := writeVerdict(a, ev); err != nil {
				return err
			}
			fmt.Fprintf(a.out, "evaluated by %s at %s; inputs: %s\n", orDashText(ev.CreatedBy),
				ev.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), inputRevisions(ev.InputRevisions))
			return nil
		}}
}

// inputRevisions renders {"REL-2": 3, …} as "REL-2@3, …" in key order.
func inputRevisions(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s@%d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func gateListCmd(a *app) *cobra.Command {
	cmd := listCmd(a, "List stored gate evaluations, oldest first (filters: --release REL-n, --env NAME, --decision allowed|blocked|undecided)",
		"/api/v1/gates/evaluations", []string{"release", "env", "decision"}, gateListCols)
	return cmd
}

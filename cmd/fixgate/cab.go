package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/approval"
	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newCABCmd) }

var cabFields = []string{"id", "title", "scheduled_at", "attendees", "status", "held_at", "canceled_at", "cancel_reason",
	"closed_at", "minutes", "created_by", "revision"}

const cabPath = "/api/v1/cab/meetings/"

// newCABCmd is `fixgate cab create|show|list|update|move|agenda|decide`.
func newCABCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "cab", Short: "CAB meetings: create, show, list, update, move, agenda, decide"}
	cmd.AddCommand(cabCreateCmd(a), cabUpdateCmd(a), cabMoveCmd(a),
		showCmd(a, "show CAB-n", "Show a CAB meeting", cabPath, cabFields),
		listCmd(a, "List CAB meetings", "/api/v1/cab/meetings", nil, []string{"id", "scheduled_at", "status", "attendees", "title"}),
		cabAgendaCmd(a), cabDecideCmd(a))
	return cmd
}

func cabCreateCmd(a *app) *cobra.Command {
	var title, at string
	var attendees []string
	cmd := &cobra.Command{Use: "create", Short: "Schedule a CAB meeting (release_manager)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"title": title, "scheduled_at": at, "attendees": attendees}
			resp, err := a.call("POST", "/api/v1/cab/meetings", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, cabFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "what the meeting is")
	f.StringVar(&at, "at", "", "when, RFC 3339 with a zone (2026-12-01T15:00:00+01:00)")
	f.StringSliceVar(&attendees, "attendee", nil, "a user who attends (repeat, or comma-separated)")
	return cmd
}

// cabUpdateCmd changes a scheduled or held meeting, guarded by the
// revision just read.
func cabUpdateCmd(a *app) *cobra.Command {
	var title, at string
	var attendees []string
	cmd := &cobra.Command{Use: "update CAB-n", Short: "Change a meeting's title or attendees (scheduled or held), or its date (scheduled)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			f := cmd.Flags()
			if f.Changed("title") {
				body["title"] = title
			}
			if f.Changed("at") {
				body["scheduled_at"] = at
			}
			if f.Changed("attendee") {
				body["attendees"] = attendees
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass --title, --at or --attendee")
			}
			return a.patchRead(cabPath+args[0], body, cabFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "what the meeting is")
	f.StringVar(&at, "at", "", "when, RFC 3339 with a zone (only while scheduled)")
	f.StringSliceVar(&attendees, "attendee", nil, "the attendees (replaces the list; repeat, or comma-separated)")
	return cmd
}

// cabMoveCmd moves a meeting: held, canceled (--comment: the reason),
// closed (--comment: the minutes, a summary or a link).
func cabMoveCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "move CAB-n STATE", Short: "Move a meeting: held, closed (--comment the minutes) or canceled (--comment the reason)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.move(cabPath+args[0], args[1], comment, cabFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "the reason to cancel, the minutes to close")
	return cmd
}

// cabAgendaCmd prints the agenda: the changes the meeting decides about,
// and whether it may approve the problem fixes on it.
func cabAgendaCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "agenda CAB-n", Short: "The meeting's agenda by the policy (changes in authorize whose risk needs a CAB)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", cabPath+args[0]+"/agenda", nil, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var ag struct {
				Meeting         string `json:"meeting"`
				MayApproveFixes bool   `json:"may_approve_fixes"`
				Missing         string `json:"missing_attendee_role"`
				Items           []struct {
					Change, Title, Type, Release, Env string
					RiskClass                         string   `json:"risk_class"`
					ProblemFix                        bool     `json:"problem_fix"`
					Problems                          []string `json:"problems"`
				} `json:"items"`
			}
			if err := resp.JSON(&ag); err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CHANGE\tRISK\tTYPE\tRELEASE\tENV\tFIXES\tTITLE")
			for _, it := range ag.Items {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Change, it.RiskClass, it.Type, orDashText(it.Release), orDashText(it.Env),
					orDashText(strings.Join(it.Problems, ",")), it.Title)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if !ag.MayApproveFixes {
				fmt.Fprintf(a.out, "%s cannot approve the problem fixes on its agenda: no attendee holds the %s role\n", ag.Meeting, ag.Missing)
			}
			return nil
		}}
}

// cabDecideCmd records the meeting's decision on a change as the caller's approval.
func cabDecideCmd(a *app) *cobra.Command {
	var comment, role string
	var reject bool
	var revision int64
	cmd := &cobra.Command{Use: "decide CAB-n CHG-n", Short: "Record the meeting's decision on an agenda change (approve, or --reject with --comment)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			decision := approval.Approve
			if reject {
				decision = approval.Reject
				if comment == "" {
					return fault.Field("--comment", "is required to reject: say why")
				}
			}
			body := map[string]any{"change": args[1], "decision": decision, "comment": comment}
			if role != "" {
				body["role"] = role
			}
			if revision > 0 {
				body["revision"] = revision
			}
			resp, err := a.call("POST", cabPath+args[0]+"/decisions", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, append(approvalFields, "meeting"))
		}}
	f := cmd.Flags()
	f.BoolVar(&reject, "reject", false, "reject instead of approving")
	f.StringVar(&comment, "comment", "", "why")
	f.StringVar(&role, "role", "", "the role you act in (default: your strongest approving role)")
	f.Int64Var(&revision, "revision", 0, "the change revision you reviewed; refused if it changed since")
	return cmd
}

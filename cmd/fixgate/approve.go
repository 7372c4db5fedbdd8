package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"fixgate/internal/approval"
	"fixgate/internal/fault"
)

func init() {
	recordCommands = append(recordCommands, newApproveCmd, newRejectCmd, newApprovalCmd)
}

var approvalFields = []string{"id", "record", "record_revision", "decision", "approver", "role", "comment", "at"}

func newApproveCmd(a *app) *cobra.Command {
	return decisionCmd(a, approval.Approve, "approve REL-n|CHG-n", "Approve the current revision of a release or change")
}

func newRejectCmd(a *app) *cobra.Command {
	return decisionCmd(a, approval.Reject, "reject REL-n|CHG-n", "Reject the current revision of a release or change (--comment required)")
}

// decisionCmd records an approval decision as the caller.
func decisionCmd(a *app, decision, use, short string) *cobra.Command {
	var comment, role string
	var revision int64
	cmd := &cobra.Command{Use: use, Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if decision == approval.Reject && comment == "" {
				return fault.Field("--comment", "is required to reject: say why")
			}
			body := map[string]any{"record": args[0], "decision": decision, "comment": comment}
			if role != "" {
				body["role"] = role
			}
			if revision > 0 {
				body["revision"] = revision
			}
			resp, err := a.call("POST", "/api/v1/approvals", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, approvalFields)
		}}
	f := cmd.Flags()
	f.StringVar(&comment, "comment", "", "why")
	f.StringVar(&role, "role", "", "the role you act in (default: your strongest of admin, release_manager, problem_manager, cab_member, engineer, validator)")
	f.Int64Var(&revision, "revision", 0, "the revision you reviewed; refused if the record changed since")
	return cmd
}

func newApprovalCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "approval", Short: "Approvals: list, show, verdict"}
	var record, approver, cursor string
	var limit int
	list := &cobra.Command{Use: "list", Short: "List approvals, oldest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := listQuery(limit, cursor, map[string]string{"record": record, "approver": approver})
			resp, err := a.call("GET", "/api/v1/approvals", q, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "record", "record_revision", "decision", "approver", "role", "at", "comment"})
		}}
	f := list.Flags()
	f.StringVar(&record, "record", "", "only about this record (REL-n or CHG-n)")
	f.StringVar(&approver, "approver", "", "only by this user")
	f.IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	f.StringVar(&cursor, "cursor", "", "continue after a previous page")
	verdict := &cobra.Command{Use: "verdict REL-n|CHG-n", Short: "What the approvals amount to for the record's current content",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/approvals/verdict", url.Values{"record": {args[0]}}, nil, nil)
			if err != nil {
				return err
			}
			if a.output == "json" {
				return a.printJSON(resp.Body)
			}
			var v approval.Verdict
			if err := resp.JSON(&v); err != nil {
				return err
			}
			w := tabwriter.NewWriter(a.out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "revision:\t%d\n", v.Revision)
			fmt.Fprintf(w, "approved_by:\t%s\n", text(anyList(v.Approvers())))
			fmt.Fprintf(w, "rejected_by:\t%s\n", text(anyList(approverNames(v.Rejection))))
			fmt.Fprintf(w, "blocked:\t%t\n", v.Blocked())
			fmt.Fprintf(w, "stale:\t%d\n", v.Stale)
			return w.Flush()
		}}
	cmd.AddCommand(list, showCmd(a, "show APR-n", "Show an approval", "/api/v1/approvals/", approvalFields), verdict)
	return cmd
}

func anyList(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func approverNames(as []approval.Approval) []string {
	out := make([]string, len(as))
	for i, x := range as {
		out[i] = x.Approver
	}
	return out
}

package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

var problemFields = []string{"id", "title", "status", "priority", "cis", "environments", "rca.category", "rca.summary",
	"rca.author", "rca.validated_by", "workaround", "observation_until", "recurrence_count", "revision"}

func newProblemCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "problem", Short: "Problems: create, show, list, update, move, rca"}
	cmd.AddCommand(problemCreateCmd(a), problemShowCmd(a), problemListCmd(a), problemUpdateCmd(a), problemMoveCmd(a), problemRCACmd(a),
		problemValidateRCACmd(a), problemSignatureCmd(a), problemCloseCmd(a), problemConfirmCmd(a), problemClosureCmd(a), problemReadyCmd(a))
	return cmd
}

func problemCreateCmd(a *app) *cobra.Command {
	var in struct {
		title, desc, owner, workaround string
		priority                       int
		cis, envs, incidents           []string
	}
	cmd := &cobra.Command{Use: "create", Short: "Record a problem", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"title": in.title, "priority": in.priority, "description": in.desc, "owner": in.owner,
				"workaround": in.workaround, "cis": in.cis, "environments": in.envs, "incidents": in.incidents}
			resp, err := a.call("POST", "/api/v1/problems", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
	f := cmd.Flags()
	f.StringVar(&in.title, "title", "", "title (required)")
	f.IntVar(&in.priority, "priority", 0, "priority 1 (highest) to 4 (required)")
	f.StringVar(&in.desc, "description", "", "description")
	f.StringVar(&in.owner, "owner", "", "owner (user name)")
	f.StringVar(&in.workaround, "workaround", "", "known workaround")
	f.StringArrayVar(&in.cis, "ci", nil, "affected CI (repeatable)")
	f.StringArrayVar(&in.envs, "env", nil, "affected environment (repeatable)")
	f.StringArrayVar(&in.incidents, "incident", nil, "linked incident INC-n (repeatable)")
	cmd.MarkFlagRequired("title")
	cmd.MarkFlagRequired("priority")
	return cmd
}

func problemShowCmd(a *app) *cobra.Command {
	return &cobra.Command{Use: "show PRB-n", Short: "Show a problem", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			resp, err := a.call("GET", "/api/v1/problems/"+args[0], nil, nil, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
}

func problemListCmd(a *app) *cobra.Command {
	var limit int
	var cursor, status, ci, env, priority string
	cmd := &cobra.Command{Use: "list", Short: "List problems", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := listQuery(limit, cursor, map[string]string{"status": status, "ci": ci, "env": env, "priority": priority})
			resp, err := a.call("GET", "/api/v1/problems", q, nil, nil)
			if err != nil {
				return err
			}
			return a.table(resp, []string{"id", "priority", "status", "title", "cis", "recurrence_count"})
		}}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 0, "at most this many (1–500, default 50)")
	f.StringVar(&cursor, "cursor", "", "continue after a previous page")
	f.StringVar(&status, "status", "", "only in this state")
	f.StringVar(&priority, "priority", "", "only of this priority")
	f.StringVar(&ci, "ci", "", "only affecting this CI")
	f.StringVar(&env, "env", "", "only affecting this environment")
	return cmd
}

func problemUpdateCmd(a *app) *cobra.Command {
	var title, desc, owner, workaround string
	var priority int
	var cis, envs []string
	cmd := &cobra.Command{Use: "update PRB-n", Short: "Change a problem's fields", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			fl := cmd.Flags()
			set := func(name string, v any) {
				if fl.Changed(name) {
					body[name] = v
				}
			}
			set("title", title)
			set("description", desc)
			set("owner", owner)
			set("workaround", workaround)
			set("priority", priority)
			if fl.Changed("ci") {
				body["cis"] = cis
			}
			if fl.Changed("env") {
				body["environments"] = envs
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/problems/"+args[0], body, problemFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title")
	f.StringVar(&desc, "description", "", "description")
	f.StringVar(&owner, "owner", "", "owner")
	f.StringVar(&workaround, "workaround", "", "workaround")
	f.IntVar(&priority, "priority", 0, "priority 1–4")
	f.StringArrayVar(&cis, "ci", nil, "affected CIs (replaces the list)")
	f.StringArrayVar(&envs, "env", nil, "affected environments (replaces the list)")
	return cmd
}

// patchRead reads the record for its revision, then PATCHes it with If-Match,
// so a change made in between is refused rather than overwritten.
func (a *app) patchRead(path string, body map[string]any, fields []string) error {
	cur, err := a.call("GET", path, nil, nil, nil)
	if err != nil {
		return err
	}
	resp, err := a.call("PATCH", path, nil, body, map[string]string{"If-Match": cur.ETag})
	if err != nil {
		return err
	}
	return a.show(resp, fields)
}

// problemMoveCmd is `fixgate problem move PRB-n STATE`. A problem becomes
// resolved when a problem-fix release resolving it succeeds in production;
// moving it to resolved by hand needs --deviation-reason and --approved-by
// (another problem_manager).
func problemMoveCmd(a *app) *cobra.Command {
	var comment, reason, approver string
	cmd := &cobra.Command{Use: "move PRB-n STATE", Short: "Move a problem to another state (resolved by hand only with a deviation)",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/api/v1/problems/" + args[0]
			if reason == "" && approver == "" {
				return a.move(path, args[1], comment, problemFields)
			}
			if args[1] != "resolved" {
				return fault.Field("deviation-reason", "a deviation documents a hand move to resolved only")
			}
			cur, err := a.call("GET", path, nil, nil, nil)
			if err != nil {
				return err
			}
			body := map[string]any{"to": args[1], "comment": comment, "revision": revisionOf(cur),
				"deviation": map[string]string{"reason": reason, "approved_by": approver}}
			resp, err := a.call("POST", path+"/transitions", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	cmd.Flags().StringVar(&reason, "deviation-reason", "", "to resolved by hand: why no release resolving it succeeded in production")
	cmd.Flags().StringVar(&approver, "approved-by", "", "to resolved by hand: the problem_manager (not you) who approved the deviation")
	return cmd
}

// move posts a lifecycle transition guarded by the revision just read.
func (a *app) move(path, to, comment string, fields []string) error {
	cur, err := a.call("GET", path, nil, nil, nil)
	if err != nil {
		return err
	}
	body := map[string]any{"to": to, "comment": comment, "revision": revisionOf(cur)}
	resp, err := a.call("POST", path+"/transitions", nil, body, nil)
	if err != nil {
		return err
	}
	return a.show(resp, fields)
}

func problemRCACmd(a *app) *cobra.Command {
	var category, summary, doc string
	var removeDoc bool
	cmd := &cobra.Command{Use: "rca PRB-n", Short: "Record the root cause analysis (keeps the earlier document unless --doc or --remove-doc)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"category": category, "summary": summary}
			if removeDoc && doc != "" {
				return fault.Field("remove-doc", "contradicts --doc")
			}
			if removeDoc {
				body["doc_sha256"] = ""
			}
			if doc != "" {
				sum, err := a.uploadArtifact(doc, "rca")
				if err != nil {
					return err
				}
				body["doc_sha256"] = sum
			}
			resp, err := a.call("PUT", "/api/v1/problems/"+args[0]+"/rca", nil, body, nil)
			if err != nil {
				return err
			}
			return a.show(resp, problemFields)
		}}
	f := cmd.Flags()
	f.StringVar(&category, "category", "", "root cause category from the taxonomy (required)")
	f.StringVar(&summary, "summary", "", "what caused the problem (required)")
	f.StringVar(&doc, "doc", "", "RCA document to attach (uploaded as an artifact); without it the earlier document stays")
	f.BoolVar(&removeDoc, "remove-doc", false, "remove the earlier RCA document")
	cmd.MarkFlagRequired("category")
	cmd.MarkFlagRequired("summary")
	return cmd
}

// uploadArtifact stores a file as a content-addressed artifact and returns its sha256.
func (a *app) uploadArtifact(path, kind string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fault.Field("doc", "cannot open %s: %v", path, err)
	}
	defer f.Close()
	q := map[string][]string{"name": {baseName(path)}, "kind": {kind}}
	resp, err := a.call("POST", "/api/v1/artifacts", q, f, nil)
	if err != nil {
		return "", err
	}
	var out struct {
		SHA256 string `json:"sha256"`
	}
	if err := resp.JSON(&out); err != nil || out.SHA256 == "" {
		return "", fmt.Errorf("artifact upload answered without a sha256")
	}
	return out.SHA256, nil
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

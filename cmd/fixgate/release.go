package main

import (
	"fmt"
	"net/url"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
)

func init() { recordCommands = append(recordCommands, newReleaseCmd) }

var releaseFields = []string{"id", "version", "type", "status", "title", "resolves", "components", "artifacts", "tag", "commit", "created_by", "revision"}

func newReleaseCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "release", Short: "Releases: plan, create, show, list, update, move, attach, notes, tag"}
	cmd.AddCommand(releaseCreateCmd(a), showCmd(a, "show REL-n", "Show a release", "/api/v1/releases/", releaseFields),
		listCmd(a, "List releases", "/api/v1/releases", []string{"status", "type", "problem"}, []string{"id", "version", "type", "status", "resolves", "title"}),
		releaseUpdateCmd(a), releaseMoveCmd(a), releaseAttachCmd(a), releaseNotesCmd(a), releasePlanCmd(a), releaseTagCmd(a))
	return cmd
}

func releaseCreateCmd(a *app) *cobra.Command {
	var version, typ, title, notes string
	var next bool
	var resolves, components []string
	cmd := &cobra.Command{Use: "create", Short: "Plan a release", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if next == (version != "") {
				return fault.Field("usage", "pass exactly one of --version or --next")
			}
			body := map[string]any{"version": version, "type": typ, "title": title, "notes": notes, "next": next,
				"resolves": nonNil(resolves), "components": nonNil(components)}
			resp, err := a.call("POST", "/api/v1/releases", nil, body, nil)
			if err != nil {
				return err
			}
			if next {
				return a.show(resp, append(slices.Clone(releaseFields), "version_basis"))
			}
			return a.show(resp, releaseFields)
		}}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "semantic version, e.g. 1.4.3 (or --next)")
	f.BoolVar(&next, "next", false, "propose the next patch version over the one live in production for the resolved problems' CIs (or the latest release of them)")
	f.StringVar(&typ, "type", "", "problem-fix, feature or mixed (required)")
	f.StringVar(&title, "title", "", "title")
	f.StringVar(&notes, "notes", "", "free-text notes shown as the summary of the release notes")
	f.StringArrayVar(&resolves, "resolves", nil, "problem it resolves, PRB-n (repeatable)")
	f.StringArrayVar(&components, "component", nil, "component version CI@VERSION (repeatable)")
	cmd.MarkFlagRequired("type")
	return cmd
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

func releaseUpdateCmd(a *app) *cobra.Command {
	var title, notes string
	var resolves, components []string
	cmd := &cobra.Command{Use: "update REL-n", Short: "Change a planned release", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := changed(cmd, map[string]any{"title": title, "notes": notes})
			if cmd.Flags().Changed("resolves") {
				body["resolves"] = nonNil(resolves)
			}
			if cmd.Flags().Changed("component") {
				body["components"] = nonNil(components)
			}
			if len(body) == 0 {
				return fault.Field("usage", "nothing to change: pass at least one flag")
			}
			return a.patchRead("/api/v1/releases/"+args[0], body, releaseFields)
		}}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "title")
	f.StringVar(&notes, "notes", "", "free-text notes")
	f.StringArrayVar(&resolves, "resolves", nil, "problems it resolves (replaces the list)")
	f.StringArrayVar(&components, "component", nil, "component versions CI@VERSION (replaces the list)")
	return cmd
}

func releaseMoveCmd(a *app) *cobra.Command {
	var comment string
	cmd := &cobra.Command{Use: "move REL-n STATE", Short: "Move a release to another state (approved only with the approvals its risk class requires)", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.move("/api/v1/releases/"+args[0], args[1], comment, releaseFields)
		}}
	cmd.Flags().StringVar(&comment, "comment", "", "why")
	return cmd
}

func releaseAttachCmd(a *app) *cobra.Command {
	var kind, file, sha, retention string
	cmd := &cobra.Command{Use: "attach REL-n (--file FILE | --sha256 SUM) --kind KIND", Short: "Attach an artifact (uploading the file first)",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (file == "") == (sha == "") {
				return fault.Field("usage", "pass exactly one of --file or --sha256")
			}
			if file != "" {
				var err error
				if sha, err = a.upload(file, kind, retention); err != nil {
					return err
				}
			}
			resp, err := a.call("POST", "/api/v1/releases/"+args[0]+"/artifacts", nil, map[string]any{"sha256": sha, "kind": kind}, nil)
			if err != nil {
				return err
			}
			return a.show(resp, releaseFields)
		}}
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "", "rca, sbom, package, test_report, rollback_plan or other (required)")
	f.StringVar(&file, "file", "", "file to upload and attach")
	f.StringVar(&sha, "sha256", "", "an artifact uploaded before")
	f.StringVar(&retention, "retention-class", "", "a retention class of the policy (default: its retention.default_class)")
	cmd.MarkFlagRequired("kind")
	return cmd
}

// upload stores a file as an artifact with an optional retention class and
// returns its sha256. It sends the file's digest along, so the server
// refuses bytes corrupted on the way.
func (a *app) upload(path, kind, retention string) (string, error) {
	sum, err := fileDigest(path)
	if err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fault.Field("file", "cannot open %s: %v", path, err)
	}
	defer f.Close()
	q := url.Values{"name": {baseName(path)}, "kind": {kind}, "sha256": {sum}}
	if retention != "" {
		q.Set("retention_class", retention)
	}
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

package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/gitrange"
	"fixgate/internal/release"
)

// releaseNotesCmd prints the notes of a release. With --repo it walks the
// git range --from..--to in that local repository (the server never
// touches it) and adds the commits grouped by the problems they name.
func releaseNotesCmd(a *app) *cobra.Command {
	var format, repo, from, to string
	var record bool
	cmd := &cobra.Command{Use: "notes REL-n [--format md|html|json] [--repo PATH --from REF --to REF [--record]]",
		Short: "Print the release notes, with the commits of a git range when --repo is given", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if a.output == "json" {
				format = "json"
			}
			if format == "markdown" {
				format = "md"
			}
			if !slices.Contains(release.NoteFormats, format) {
				return fault.Field("format", "must be md, html or json, got %q", format)
			}
			if repo == "" && (from != "" || cmd.Flags().Changed("to") || record) {
				return fault.Field("repo", "is required with --from, --to and --record")
			}
			var commits []release.Commit
			if repo != "" {
				var err error
				if commits, err = gitrange.Walk(repo, from, to); err != nil {
					return err
				}
			}
			resp, err := a.call("GET", "/api/v1/releases/"+url.PathEscape(args[0])+"/notes", url.Values{"format": {"json"}}, nil, nil)
			if err != nil {
				return err
			}
			var n release.Notes
			if err := json.Unmarshal(resp.Body, &n); err != nil {
				return fault.Wrap(err, "decode notes")
			}
			if repo != "" {
				ids := make([]string, len(n.Resolves))
				for i, p := range n.Resolves {
					ids[i] = p.ID
				}
				n = n.WithCode(release.GroupCommits(from, to, ids, commits))
			}
			if record {
				if err := a.recordCommits(cmd, args[0], from, to, len(commits)); err != nil {
					return err
				}
			}
			b, err := n.Render(format)
			if err != nil {
				return err
			}
			_, err = a.out.Write(b)
			return err
		}}
	f := cmd.Flags()
	f.StringVar(&format, "format", "md", "md, html or json")
	f.StringVar(&repo, "repo", "", "local git repository whose range --from..--to the notes list")
	f.StringVar(&from, "from", "", "start of the range (excluded), e.g. the previous release's tag")
	f.StringVar(&to, "to", "HEAD", "end of the range (included)")
	f.BoolVar(&record, "record", false, "record the range and its commit count on the release (the patterns report bins release size by it)")
	return cmd
}

// recordCommits records the walked range from..to and its n commits on
// release id (POST /api/v1/releases/{id}/commits, at the release's
// revision read just before) and says so on stderr.
func (a *app) recordCommits(cmd *cobra.Command, id, from, to string, n int) error {
	resp, err := a.call("GET", "/api/v1/releases/"+url.PathEscape(id), nil, nil, nil)
	if err != nil {
		return err
	}
	var rel release.Release
	if err := resp.JSON(&rel); err != nil {
		return err
	}
	_, err = a.call("POST", "/api/v1/releases/"+url.PathEscape(id)+"/commits", nil,
		map[string]any{"from": from, "to": to, "commits": n, "revision": rel.Revision}, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: recorded %d commits (%s..%s)\n", rel.ID, n, from, to)
	return nil
}

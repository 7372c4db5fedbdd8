package main

import (
	"errors"
	"net/url"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/spf13/cobra"

	"fixgate/internal/fault"
	"fixgate/internal/release"
)

// releaseTagCmd creates the annotated tag v<version> of a release in a
// local git repository (go-git: no git binary), then records the tag and
// commit on the release. The server never touches the repository.
func releaseTagCmd(a *app) *cobra.Command {
	var repo, ref string
	cmd := &cobra.Command{Use: "tag REL-n --repo PATH [--ref REF]", Short: "Tag a release vX.Y.Z in a local git repository and record the tag on the release",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rel, problems, err := a.tagFacts(args[0])
			if err != nil {
				return err
			}
			if rel.Tag != "" {
				return fault.Conflictf("release %s is already tagged %s at %s; a tag is never moved", rel.ID, rel.Tag, rel.Commit)
			}
			tagger, err := a.tagger()
			if err != nil {
				return err
			}
			name := release.TagName(rel.Version)
			commit, undo, err := gitTag(repo, ref, name, release.TagMessage(rel, problems), tagger)
			if err != nil {
				return err
			}
			resp, err := a.call("POST", "/api/v1/releases/"+url.PathEscape(args[0])+"/tag", nil,
				map[string]any{"tag": name, "commit": commit, "revision": rel.Revision}, nil)
			if err != nil {
				if uerr := undo(); uerr != nil {
					return errors.Join(err, uerr)
				}
				return err // the tag was removed again: nothing written
			}
			return a.show(resp, releaseFields)
		}}
	cmd.Flags().StringVar(&repo, "repo", "", "path of the local git repository (required)")
	cmd.Flags().StringVar(&ref, "ref", "HEAD", "revision to tag: branch, tag, commit id or HEAD")
	cmd.MarkFlagRequired("repo")
	return cmd
}

// tagFacts reads the release and the problems it resolves (titles, CIs).
func (a *app) tagFacts(id string) (release.Release, []release.TagProblem, error) {
	var rel release.Release
	resp, err := a.call("GET", "/api/v1/releases/"+url.PathEscape(id), nil, nil, nil)
	if err != nil {
		return rel, nil, err
	}
	if err := resp.JSON(&rel); err != nil {
		return rel, nil, err
	}
	var problems []release.TagProblem
	for _, p := range rel.Resolves {
		resp, err := a.call("GET", "/api/v1/problems/"+url.PathEscape(p), nil, nil, nil)
		if err != nil {
			return rel, nil, err
		}
		var pr struct {
			ID    string   `json:"id"`
			Title string   `json:"title"`
			CIs   []string `json:"cis"`
		}
		if err := resp.JSON(&pr); err != nil {
			return rel, nil, err
		}
		problems = append(problems, release.TagProblem{ID: pr.ID, Title: pr.Title, CIs: pr.CIs})
	}
	return rel, problems, nil
}

// tagger is the signature of the CLI's user: display name (else the user
// name) and e-mail.
func (a *app) tagger() (object.Signature, error) {
	resp, err := a.call("GET", "/api/v1/me", nil, nil, nil)
	if err != nil {
		return object.Signature{}, err
	}
	var me struct {
		User string `json:"user"`
	}
	if err := resp.JSON(&me); err != nil {
		return object.Signature{}, err
	}
	sig := object.Signature{Name: me.User, When: time.Now()}
	if resp, err := a.call("GET", "/api/v1/users/"+url.PathEscape(me.User), nil, nil, nil); err == nil {
		var u struct {
			DisplayName string `json:"display_name"`
			Email       string `json:"email"`
		}
		if resp.JSON(&u) == nil && u.DisplayName != "" {
			sig.Name = u.DisplayName
		}
		sig.Email = u.Email
	}
	return sig, nil
}

// gitTag creates the annotated tag name at ref in the repository at path
// and returns the commit it points at and a function that deletes the tag
// again. Returns Invalid naming "repo" when path is not a repository,
// "ref" when ref does not resolve to a commit, and Conflict when the tag
// exists (it is never moved); nothing is written then.
func gitTag(path, ref, name, message string, tagger object.Signature) (string, func() error, error) {
	r, err := git.PlainOpen(path)
	if err != nil {
		return "", nil, fault.Field("repo", "%s is not a git repository: %v", path, err)
	}
	h, err := r.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return "", nil, fault.Field("ref", "%q does not resolve in %s: %v", ref, path, err)
	}
	c, err := r.CommitObject(*h)
	if err != nil {
		return "", nil, fault.Field("ref", "%q in %s is not a commit: %v", ref, path, err)
	}
	if old, err := r.Tag(name); err == nil {
		return "", nil, fault.Conflictf("tag %s already exists in %s (at %s); a tag is never moved", name, path, old.Hash())
	} else if !errors.Is(err, git.ErrTagNotFound) {
		return "", nil, fault.Wrap(err, "read tag %s", name)
	}
	if _, err := r.CreateTag(name, c.Hash, &git.CreateTagOptions{Tagger: &tagger, Message: message}); err != nil {
		return "", nil, fault.Wrap(err, "create tag %s", name)
	}
	return c.Hash.String(), func() error { return r.DeleteTag(name) }, nil
}

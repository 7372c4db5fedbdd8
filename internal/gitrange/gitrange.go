// Package gitrange reads the commits of a range of a local git repository
// (go-git, no git binary) for the release notes. Only the CLI and the
// benchmarks use it: the server never touches a user's repository, and
// keeping go-git out of internal/release keeps it (and its HTTP transports)
// out of the server's store.
package gitrange

import (
	"errors"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"fixgate/internal/fault"
	"fixgate/internal/release"
)

// Walk reads the commits of from..to in the local git repository at
// path (go-git, no git binary): those reachable from to and not from from,
// as git log from..to selects them, in the walk's deterministic order, each
// with the problems its message names (release.CommitProblems). It only reads the
// repository; the CLI calls it, never the server. Returns Invalid naming
// "repo" when path is not a git repository, and "from" or "to" when a ref
// does not resolve to a commit.
func Walk(path, from, to string) ([]release.Commit, error) {
	repo, err := git.PlainOpen(path)
	if err != nil {
		return nil, fault.Field("repo", "%s is not a git repository: %v", path, err)
	}
	fromC, err := resolveCommit(repo, "from", from)
	if err != nil {
		return nil, err
	}
	toC, err := resolveCommit(repo, "to", to)
	if err != nil {
		return nil, err
	}
	seen := map[plumbing.Hash]bool{} // from and its ancestors: excluded, never walked past
	err = object.NewCommitPreorderIter(fromC, nil, nil).ForEach(func(c *object.Commit) error {
		seen[c.Hash] = true
		return nil
	})
	if err != nil {
		return nil, fault.Wrap(err, "walk %s", from)
	}
	var inRange object.CommitFilter = func(c *object.Commit) bool { return !seen[c.Hash] }
	var limit object.CommitFilter = func(c *object.Commit) bool { return seen[c.Hash] }
	var out []release.Commit
	err = object.NewFilterCommitIter(toC, &inRange, &limit).ForEach(func(c *object.Commit) error {
		out = append(out, commitOf(c))
		return nil
	})
	if err != nil && !errors.Is(err, storer.ErrStop) {
		return nil, fault.Wrap(err, "walk %s..%s", from, to)
	}
	return out, nil
}

func resolveCommit(repo *git.Repository, field, ref string) (*object.Commit, error) {
	if ref == "" {
		return nil, fault.Field(field, "is required")
	}
	h, err := repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fault.Field(field, "%q does not resolve: %v", ref, err)
	}
	c, err := repo.CommitObject(*h)
	if err != nil {
		return nil, fault.Field(field, "%q is not a commit: %v", ref, err)
	}
	return c, nil
}

func commitOf(c *object.Commit) release.Commit {
	subject, _, _ := strings.Cut(c.Message, "\n")
	return release.Commit{Hash: c.Hash.String(), Subject: subject, Author: c.Author.Name, Problems: release.CommitProblems(c.Message)}
}

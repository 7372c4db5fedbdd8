package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// tagServer starts the API over a store holding CI checkout-api, PRB-1
// ("Checkout times out") on it, and REL-1, a problem-fix 1.4.3 resolving
// it; it returns the flags of rita (release manager, "Rita Manager") and
// of aud (auditor).
func tagServer(t *testing.T) (s *store.Store, rita, aud []string) {
	t.Helper()
	s, _ = storetest.Open(t)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_admin"); err != nil {
		t.Fatal(err)
	}
	admin := audit.Actor{User: "admin", Role: "admin"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, ritaTok, err := s.CreateUser(ctx, admin, auth.User{Name: "rita", DisplayName: "Rita Manager", Email: "rita@example.org",
		Roles: []auth.Role{auth.ReleaseManager}})
	must(err)
	_, audTok, err := s.CreateUser(ctx, admin, auth.User{Name: "aud", Roles: []auth.Role{auth.Auditor}})
	must(err)
	_, err = s.CreateCI(ctx, admin, ci.CI{Name: "checkout-api"})
	must(err)
	_, err = s.CreateProblem(ctx, admin, problem.Problem{Title: "Checkout times out", Priority: 2, CIs: []string{"checkout-api"}}, nil)
	must(err)
	_, err = s.CreateRelease(ctx, admin, release.Release{Version: "1.4.3", Type: release.ProblemFix, Title: "pool size", Resolves: []string{"PRB-1"}})
	must(err)
	srv := httptest.NewServer(api.New(api.Config{Store: s, DataDir: t.TempDir()}).Handler())
	t.Cleanup(srv.Close)
	return s, []string{"--url", srv.URL, "--token", ritaTok}, []string{"--url", srv.URL, "--token", audTok}
}

// gitRepo makes a repository in a temp dir with two commits and returns
// its path and the commits, oldest first.
func gitRepo(t *testing.T) (string, []plumbing.Hash) {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	var commits []plumbing.Hash
	for i, content := range []string{"one\n", "two\n"} {
		if err := os.WriteFile(filepath.Join(dir, "README"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("README"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit("commit "+content, &git.CommitOptions{Author: &object.Signature{Name: "dev", Email: "dev@example.org",
			When: time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC)}})
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, h)
	}
	return dir, commits
}

// TestReleaseTag: the annotated tag v1.4.3 lands on the resolved ref with
// the problems, CIs and tagger, and is recorded on the release; a missing
// repository, an unresolvable ref and an existing tag are refused with
// nothing written; a refusal by the server removes the tag again; a
// tagged release is never tagged again.
func TestReleaseTag(t *testing.T) {
	s, rita, aud := tagServer(t)
	ctx := context.Background()
	dir, commits := gitRepo(t)
	untagged := func(what string) {
		t.Helper()
		if rel, _ := s.GetRelease(ctx, 1); rel.Tag != "" || rel.Revision != 1 {
			t.Fatalf("%s: the release was written: %+v", what, rel)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repo", filepath.Join(dir, "missing")}, "repo: "},
		{[]string{"--repo", t.TempDir()}, "repo: "},
		{[]string{"--repo", dir, "--ref", "no-such-branch"}, "ref: "},
	} {
		code, _, stderr := runCLI(t, append(append(rita, "release", "tag", "REL-1"), tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Fatalf("%v: exit %d %q, want %q", tc.args, code, stderr, tc.want)
		}
		untagged(tc.args[len(tc.args)-1])
	}

	// An auditor may read but not record: the tag made first is removed.
	if code, _, stderr := runCLI(t, append(aud, "release", "tag", "REL-1", "--repo", dir)...); code != 2 || !strings.Contains(stderr, "role") {
		t.Fatalf("auditor: exit %d %q", code, stderr)
	}
	repo, _ := git.PlainOpen(dir)
	if _, err := repo.Tag("v1.4.3"); !errors.Is(err, git.ErrTagNotFound) {
		t.Fatalf("the refused record left the tag: %v", err)
	}
	untagged("auditor")

	code, out, stderr := runCLI(t, append(rita, "release", "tag", "REL-1", "--repo", dir, "--ref", commits[0].String())...)
	if code != 0 || !strings.Contains(out, "v1.4.3") {
		t.Fatalf("tag: exit %d %s %s", code, out, stderr)
	}
	ref, err := repo.Tag("v1.4.3")
	if err != nil {
		t.Fatal(err)
	}
	tag, err := repo.TagObject(ref.Hash())
	if err != nil {
		t.Fatalf("not an annotated tag: %v", err)
	}
	if tag.Target != commits[0] || tag.Tagger.Name != "Rita Manager" || tag.Tagger.Email != "rita@example.org" ||
		!strings.Contains(tag.Message, "- PRB-1 Checkout times out\n") || !strings.Contains(tag.Message, "Affected CIs:\n- checkout-api\n") {
		t.Fatalf("tag %s at %s by %v:\n%s", tag.Name, tag.Target, tag.Tagger, tag.Message)
	}
	rel, _ := s.GetRelease(ctx, 1)
	if rel.Tag != "v1.4.3" || rel.Commit != commits[0].String() || rel.Revision != 2 {
		t.Fatalf("recorded %+v", rel)
	}

	// Tagged once: never again, in this repository or another.
	other, _ := gitRepo(t)
	for _, d := range []string{dir, other} {
		if code, _, stderr := runCLI(t, append(rita, "release", "tag", "REL-1", "--repo", d)...); code != 2 || !strings.Contains(stderr, "never moved") {
			t.Fatalf("again in %s: exit %d %q", d, code, stderr)
		}
	}
	if r, _ := git.PlainOpen(other); r != nil {
		if _, err := r.Tag("v1.4.3"); !errors.Is(err, git.ErrTagNotFound) {
			t.Fatalf("tagged a second repository: %v", err)
		}
	}
}

// TestReleaseTagExisting: a tag that exists in the repository is refused
// and left where it is; nothing is recorded.
func TestReleaseTagExisting(t *testing.T) {
	s, rita, _ := tagServer(t)
	dir, commits := gitRepo(t)
	repo, _ := git.PlainOpen(dir)
	if _, err := repo.CreateTag("v1.4.3", commits[0], nil); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, append(rita, "release", "tag", "REL-1", "--repo", dir)...)
	if code != 2 || !strings.Contains(stderr, "already exists in") || !strings.Contains(stderr, "never moved") {
		t.Fatalf("exit %d %q", code, stderr)
	}
	if ref, _ := repo.Tag("v1.4.3"); ref == nil || ref.Hash() != commits[0] {
		t.Fatalf("the existing tag moved: %v", ref)
	}
	if rel, _ := s.GetRelease(context.Background(), 1); rel.Tag != "" {
		t.Fatalf("recorded %+v", rel)
	}
}

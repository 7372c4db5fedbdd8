package gitrange

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"fixgate/internal/fault"
	"fixgate/internal/release"
)

// testRepo builds a repository: base (tagged v1.0.0), then on main "Raise
// pool" (Fixes: PRB-12) and a merge of a side branch whose commit names
// PRB-3 in its subject, then "Bump deps" naming nothing.
func testRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	w, _ := r.Worktree()
	when := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(msg string, parents ...plumbing.Hash) plumbing.Hash {
		t.Helper()
		when = when.Add(time.Minute)
		if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
		w.Add("f.txt")
		h, err := w.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Ann", Email: "ann@example.org", When: when}, Parents: parents, AllowEmptyCommits: true})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := commit("base")
	if _, err := r.CreateTag("v1.0.0", base, nil); err != nil {
		t.Fatal(err)
	}
	fix := commit("Raise pool\n\nFixes: PRB-12")
	side := commit("PRB-3 retry payments", base)
	merge := commit("Merge side", fix, side)
	commit("Bump deps", merge)
	return dir
}

func TestWalkRange(t *testing.T) {
	dir := testRepo(t)
	commits, err := Walk(dir, "v1.0.0", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, c := range commits {
		subjects = append(subjects, c.Subject)
	}
	slices.Sort(subjects)
	if !slices.Equal(subjects, []string{"Bump deps", "Merge side", "PRB-3 retry payments", "Raise pool"}) {
		t.Fatalf("range v1.0.0..HEAD = %v", subjects)
	}
	again, _ := Walk(dir, "v1.0.0", "HEAD")
	if !slices.EqualFunc(commits, again, func(a, b release.Commit) bool { return a.Hash == b.Hash }) {
		t.Fatal("walk order is not deterministic")
	}
	c := release.GroupCommits("v1.0.0", "HEAD", []string{"PRB-3", "PRB-12", "PRB-20"}, commits)
	if len(c.Problems) != 2 || len(c.Unlinked) != 2 || !slices.Equal(c.Unnamed, []string{"PRB-20"}) {
		t.Fatalf("grouped %+v", c)
	}
	if none, err := Walk(dir, "HEAD", "HEAD"); err != nil || len(none) != 0 {
		t.Fatalf("empty range: %v %v", none, err)
	}
}

func TestWalkRangeBadInput(t *testing.T) {
	dir := testRepo(t)
	for _, c := range []struct{ repo, from, to, field string }{
		{filepath.Join(t.TempDir(), "nope"), "v1.0.0", "HEAD", "repo"},
		{t.TempDir(), "v1.0.0", "HEAD", "repo"},
		{dir, "v9.9.9", "HEAD", "from"},
		{dir, "v1.0.0", "no-such-branch", "to"},
		{dir, "", "HEAD", "from"},
	} {
		_, err := Walk(c.repo, c.from, c.to)
		if fault.CodeOf(err) != fault.Invalid || !strings.Contains(err.Error(), c.field) {
			t.Errorf("Walk(%q, %q, %q) = %v; want Invalid naming %s", c.repo, c.from, c.to, err, c.field)
		}
	}
}

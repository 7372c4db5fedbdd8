package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// notesRepo makes a repository whose range v1.4.2..HEAD has a commit with
// the trailer "Fixes: PRB-1" and one that names no problem.
func notesRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r, err := git.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := r.Worktree()
	for i, msg := range []string{"base", "Raise the pool size\n\nFixes: PRB-1", "Refactor logging"} {
		os.WriteFile(filepath.Join(dir, "README"), []byte(msg), 0o644)
		wt.Add("README")
		h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "dev", Email: "dev@example.org",
			When: time.Date(2025, 1, 1+i, 0, 0, 0, 0, time.UTC)}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if _, err := r.CreateTag("v1.4.2", h, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// TestReleaseNotesFromGit: the CLI walks the range locally and groups the
// commits under the problems they name; bad repositories and refs are
// refused with a clear error; the formats render.
func TestReleaseNotesFromGit(t *testing.T) {
	_, _, aud := tagServer(t)
	dir := notesRepo(t)
	code, out, stderr := runCLI(t, append(aud, "release", "notes", "REL-1", "--repo", dir, "--from", "v1.4.2")...)
	if code != 0 {
		t.Fatalf("notes: exit %d %s", code, stderr)
	}
	for _, want := range []string{"## Code changes (v1.4.2..HEAD, 2 commits)", "### PRB-1\n\n- `", "Raise the pool size (dev)",
		"### Commits that name no problem", "Refactor logging", "1 commit names no problem"} {
		if !strings.Contains(out, want) {
			t.Errorf("notes lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Claimed but named by no commit") {
		t.Errorf("PRB-1 is named by a commit:\n%s", out)
	}
	code, out, _ = runCLI(t, append(aud, "release", "notes", "REL-1", "--format", "json", "--repo", dir, "--from", "HEAD~1")...)
	if code != 0 || !strings.Contains(out, `"unnamed": [`+"\n"+`      "PRB-1"`) || !strings.Contains(out, `"schema": "fixgate.release-notes/v1"`) {
		t.Fatalf("json notes over HEAD~1..HEAD: exit %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, append(aud, "release", "notes", "REL-1", "--format", "html")...); code != 0 || !strings.Contains(out, "<h2>Resolved problems</h2>") || strings.Contains(out, "Code changes") {
		t.Fatalf("html notes without a range: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--repo", filepath.Join(dir, "missing"), "--from", "v1.4.2"}, "repo: "},
		{[]string{"--repo", dir, "--from", "v0.0.1"}, "from: "},
		{[]string{"--repo", dir, "--from", "v1.4.2", "--to", "nope"}, "to: "},
		{[]string{"--from", "v1.4.2"}, "repo: "},
		{[]string{"--format", "pdf"}, "format: "},
	} {
		code, _, stderr := runCLI(t, append(append(aud, "release", "notes", "REL-1"), tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
}

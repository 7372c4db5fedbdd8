package main

import (
	"context"
	"strings"
	"testing"
)

// TestReleaseNotesRecordCommits: --record records the walked range and its
// commit count on the release (release roles only; an auditor's attempt
// records nothing), and needs --repo.
func TestReleaseNotesRecordCommits(t *testing.T) {
	s, rita, aud := tagServer(t)
	dir := notesRepo(t)
	if code, _, stderr := runCLI(t, append(aud, "release", "notes", "REL-1", "--repo", dir, "--from", "v1.4.2", "--record")...); code == 0 ||
		!strings.Contains(stderr, "needs one of the roles") {
		t.Fatalf("auditor records: exit %d %q", code, stderr)
	}
	if _, err := s.GetReleaseCommits(context.Background(), 1); err == nil {
		t.Fatal("a refused record was stored")
	}
	code, out, stderr := runCLI(t, append(rita, "release", "notes", "REL-1", "--repo", dir, "--from", "v1.4.2", "--record")...)
	if code != 0 || !strings.Contains(stderr, "REL-1: recorded 2 commits (v1.4.2..HEAD)") || !strings.Contains(out, "2 commits") {
		t.Fatalf("record: exit %d %q\n%s", code, stderr, out)
	}
	rc, err := s.GetReleaseCommits(context.Background(), 1)
	if err != nil || rc.From != "v1.4.2" || rc.To != "HEAD" || rc.Commits != 2 || rc.RecordedBy != "rita" {
		t.Fatalf("stored: %+v %v", rc, err)
	}
	if code, _, stderr := runCLI(t, append(rita, "release", "notes", "REL-1", "--record")...); code != 2 || !strings.Contains(stderr, "repo: ") {
		t.Fatalf("--record without --repo: exit %d %q", code, stderr)
	}
}

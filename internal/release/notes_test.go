package release

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/problem"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenFacts is a problem-fix release with every kind of fact: a closed
// problem whose known error is published (workaround withdrawable), a
// resolved one still observed (keep it), changes, approvals, deployments.
func goldenFacts() NotesFacts {
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	done := at.Add(40 * time.Minute)
	r := Release{ID: "REL-7", Version: "2.3.1", Type: ProblemFix, Status: Deployed, Title: "Pool <size> & timeouts",
		Notes: "Raises the pool size.", Tag: "v2.3.1", Resolves: []string{"PRB-12", "PRB-3"},
		Components: []string{"checkout-api@2.3.1", "payments@1.0.4"},
		Artifacts:  []Artifact{{SHA256: strings.Repeat("ab", 32), Name: "rca|v1.md", Kind: "rca"}}}
	return NotesFacts{Release: r,
		Problems: []problem.Problem{
			{ID: "PRB-12", Title: "Checkout 500s", Status: problem.Resolved, Priority: 2, CIs: []string{"db-main", "checkout-api"},
				Workaround: "restart the pool", RCA: problem.RCARecord{Category: "capacity", Summary: "Pool of 10\nexhausted at peak"}},
			{ID: "PRB-3", Title: "Payments <time out>", Status: problem.Closed, Priority: 1, CIs: []string{"payments"},
				RCA: problem.RCARecord{Category: "third_party_dependency", Summary: "Provider | timeout"}},
		},
		KnownErrors: map[string]NoteKnownErr{"PRB-3": {ID: "KE-4", Title: "Payments slow", Status: "published"}},
		Versions:    []ci.Version{{CI: "checkout-api", Version: "2.3.1", Status: ci.Approved, Digest: "sha256:" + strings.Repeat("0", 64)}},
		Changes:     []NoteChange{{ID: "CHG-10", Title: "Deploy 2.3.1", Type: "normal", Env: "prod", Status: "implement", RiskClass: "medium"}, {ID: "CHG-9", Title: "Stage", Type: "standard", Env: "staging", Status: "closed"}},
		Approvals:   []NoteApproval{{ID: "APR-11", Record: "CHG-10", Approver: "cab1", Role: "cab_member", Decision: "approve", At: at}, {ID: "APR-2", Record: "REL-7", Approver: "rita", Role: "release_manager", Decision: "approve", At: at}},
		Deployments: []NoteDeployment{{ID: "DEP-5", Env: "prod", Status: "succeeded", StartedAt: &at, FinishedAt: &done}, {ID: "DEP-4", Env: "staging", Status: "verified", StartedAt: &at}},
	}
}

func goldenCode() *CodeChanges {
	commits := []Commit{
		{Hash: "1111111111111111111111111111111111111111", Subject: "Raise pool size", Author: "Ann", Problems: CommitProblems("Raise pool size\n\nFixes: PRB-12")},
		{Hash: "2222222222222222222222222222222222222222", Subject: "PRB-40: log <slow> queries", Author: "Bob", Problems: CommitProblems("PRB-40: log <slow> queries")},
		{Hash: "3333333333333333333333333333333333333333", Subject: "Bump deps", Author: "Cy", Problems: CommitProblems("Bump deps\n\nmentions PRB-3 in prose")},
	}
	return GroupCommits("v2.3.0", "HEAD", []string{"PRB-3", "PRB-12"}, commits)
}

// TestNotesGolden pins the three formats, with and without a git range.
// Run with -update to rewrite the files after an intended change.
func TestNotesGolden(t *testing.T) {
	n := GenerateNotes(goldenFacts())
	for _, c := range []struct {
		name  string
		notes Notes
	}{{"notes", n}, {"notes_code", n.WithCode(goldenCode())}} {
		for _, f := range NoteFormats {
			got, err := c.notes.Render(f)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.name+"."+f)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (go test -run Golden -update to accept):\n%s", path, got)
			}
		}
	}
}

func TestNotesFacts(t *testing.T) {
	n := GenerateNotes(goldenFacts())
	if n.Resolves[0].ID != "PRB-3" || n.Resolves[1].ID != "PRB-12" {
		t.Fatalf("resolves in the release's order: %+v", n.Resolves)
	}
	p3, p12 := n.Resolves[0], n.Resolves[1]
	if !p3.Workaround.Exists || !p3.Workaround.Withdrawable || p3.KnownError == nil || p3.KnownError.ID != "KE-4" {
		t.Errorf("closed problem with a known error: %+v", p3)
	}
	if !p12.Workaround.Exists || p12.Workaround.Withdrawable || p12.KnownError != nil || p12.RCASummary == "" {
		t.Errorf("resolved problem under observation: %+v", p12)
	}
	if n.Changes[0].ID != "CHG-9" || n.Approvals[0].ID != "APR-2" || n.Deployments[0].ID != "DEP-4" {
		t.Errorf("records not in id order: %v %v %v", n.Changes, n.Approvals, n.Deployments)
	}
	if !slices.Equal(n.AffectedCIs, []string{"checkout-api", "db-main", "payments"}) {
		t.Errorf("affected CIs %v", n.AffectedCIs)
	}
	retired := goldenFacts()
	retired.KnownErrors["PRB-12"] = NoteKnownErr{ID: "KE-5", Status: "retired"}
	if w := GenerateNotes(retired).Resolves[1].Workaround; !w.Withdrawable {
		t.Errorf("a retired known error makes the workaround withdrawable: %+v", w)
	}
}

func TestNotesCodeGrouping(t *testing.T) {
	n := GenerateNotes(goldenFacts()).WithCode(goldenCode())
	c := n.Code
	if c.Commits != 3 || len(c.Problems) != 2 || c.Problems[0].Problem != "PRB-12" || !c.Problems[0].Claimed ||
		c.Problems[1].Problem != "PRB-40" || c.Problems[1].Claimed {
		t.Fatalf("groups %+v", c.Problems)
	}
	if len(c.Unlinked) != 1 || c.Unlinked[0].Subject != "Bump deps" {
		t.Fatalf("unlinked %+v", c.Unlinked)
	}
	if !slices.Equal(c.Unnamed, []string{"PRB-3"}) {
		t.Fatalf("unnamed %v", c.Unnamed)
	}
	hl := strings.Join(n.Highlights, "\n")
	if !strings.Contains(hl, "1 commit names no problem") || !strings.Contains(hl, "No commit names PRB-3") {
		t.Fatalf("highlights %v", n.Highlights)
	}
}

func TestNotesHTMLEscapes(t *testing.T) {
	b, err := GenerateNotes(goldenFacts()).HTML()
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.Contains(s, "<time out>") || !strings.Contains(s, "Payments &lt;time out&gt;") || strings.Contains(s, "style=") || strings.Contains(s, "<script") {
		t.Fatalf("html not escaped or carries inline style/script:\n%s", s)
	}
	if _, err := (Notes{}).Render("pdf"); err == nil {
		t.Fatal("unknown format accepted")
	}
}

package release

import (
	"strings"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
)

func TestValidateAndMove(t *testing.T) {
	r := Release{Version: "v1.4.3", Type: ProblemFix, Resolves: []string{"prb-2", "PRB-1", "PRB-2"}, Components: []string{"b@1.0.0", "a@2.0.0"}}
	if err := r.Validate(); err != nil || r.Version != "1.4.3" || strings.Join(r.Resolves, ",") != "PRB-1,PRB-2" || r.Components[0] != "a@2.0.0" {
		t.Fatalf("validate: %+v %v", r, err)
	}
	for _, bad := range []struct {
		r     Release
		field string
	}{
		{Release{Version: "1.4", Type: Feature}, "version"},
		{Release{Version: "1.4.3", Type: "hotfix"}, "type"},
		{Release{Version: "1.4.3", Type: ProblemFix}, "resolves"},
		{Release{Version: "1.4.3", Type: Feature, Components: []string{"checkout-api"}}, "components"},
	} {
		if fe := fault.As(bad.r.Validate()); fe == nil || fe.Field != bad.field {
			t.Errorf("%+v: want invalid %s, got %v", bad.r, bad.field, fe)
		}
	}
	r.Status = Planned
	if err := r.Move(Deployed); fault.CodeOf(err) != fault.Conflict || r.Status != Planned {
		t.Fatalf("planned → deployed: %v", err)
	}
	for _, to := range []string{Approved, Deploying, Deployed, Verified} {
		if err := r.Move(to); err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
	}
}

func TestEditAndAttachRules(t *testing.T) {
	r := Release{ID: "REL-1", Status: Planned}
	if err := r.CheckEditable(); err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("a", 64)
	if _, err := r.Attach(Artifact{SHA256: sha, Kind: "binary"}); fault.As(err) == nil || fault.As(err).Field != "kind" {
		t.Fatalf("bad kind: %v", err)
	}
	if ok, err := r.Attach(Artifact{SHA256: sha, Kind: "package"}); !ok || err != nil {
		t.Fatalf("attach package: %v %v", ok, err)
	}
	if ok, err := r.Attach(Artifact{SHA256: sha, Kind: "package"}); ok || err != nil {
		t.Fatalf("re-attach must be a no-op: %v %v", ok, err)
	}
	if _, err := r.Attach(Artifact{SHA256: sha, Kind: "sbom"}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("same bytes, other kind: %v", err)
	}
	r.Status = Approved
	if err := r.CheckEditable(); fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "approved") {
		t.Fatalf("edit approved: %v", err)
	}
	other := strings.Repeat("b", 64)
	if _, err := r.Attach(Artifact{SHA256: other, Kind: "package"}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("package after planning: %v", err)
	}
	if ok, err := r.Attach(Artifact{SHA256: other, Kind: "rca"}); !ok || err != nil {
		t.Fatalf("evidence after planning: %v %v", ok, err)
	}
	r.Status = Canceled
	if _, err := r.Attach(Artifact{SHA256: strings.Repeat("c", 64), Kind: "other"}); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("attach to canceled: %v", err)
	}
}

func TestNotesHighlightProblemFix(t *testing.T) {
	r := Release{ID: "REL-3", Version: "1.4.3", Type: ProblemFix, Status: Approved, Title: "Fix <checkout>",
		Resolves: []string{"PRB-1", "PRB-2"}, Components: []string{"checkout-api@1.4.3", "payments@2.1.0"},
		Artifacts: []Artifact{{SHA256: strings.Repeat("ab", 32), Name: "rca|v1.md", Kind: "rca"}}}
	problems := []problem.Problem{
		{ID: "PRB-2", Title: "Payments time out", Priority: 1, CIs: []string{"payments"}, RCA: problem.RCARecord{Category: "third_party_dependency"}},
		{ID: "PRB-1", Title: "Checkout 500s", Priority: 2, CIs: []string{"checkout-api", "db-main"}, RCA: problem.RCARecord{Category: "capacity"}},
	}
	versions := []ci.Version{{CI: "checkout-api", Version: "1.4.3", Status: ci.Approved, Digest: "sha256:" + strings.Repeat("0", 64)}}
	n := GenerateNotes(NotesFacts{Release: r, Problems: problems, Versions: versions})
	if len(n.Resolves) != 2 || n.Resolves[0].ID != "PRB-1" || n.Resolves[0].Priority != 2 || n.Resolves[0].RCACategory != "capacity" ||
		n.Resolves[1].Title != "Payments time out" {
		t.Fatalf("resolves: %+v", n.Resolves)
	}
	if strings.Join(n.AffectedCIs, ",") != "checkout-api,db-main,payments" {
		t.Fatalf("affected CIs: %v", n.AffectedCIs)
	}
	if len(n.Highlights) < 2 || n.Highlights[0] != "Problem fix: resolves PRB-1, PRB-2" || !strings.Contains(n.Highlights[1], "checkout-api, db-main, payments") {
		t.Fatalf("highlights: %v", n.Highlights)
	}
	if n.Components[0].Status != ci.Approved || n.Components[1].Status != "" || n.Artifacts[0].SHA256 != strings.Repeat("ab", 32) {
		t.Fatalf("components/artifacts: %+v %+v", n.Components, n.Artifacts)
	}
	md := n.Markdown()
	for _, want := range []string{"# REL-3 — 1.4.3: Fix &lt;checkout&gt;", "**Problem fix: resolves PRB-1, PRB-2**", "| **PRB-1** | P2 | capacity | - | none |",
		"- db-main", "| checkout-api@1.4.3 | approved |", "`" + strings.Repeat("ab", 32) + "`", `rca\|v1.md`} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if a, b := GenerateNotes(NotesFacts{Release: r, Problems: problems, Versions: versions}).Markdown(), md; a != b {
		t.Fatal("notes are not reproducible")
	}
}

func TestNotesFeatureRelease(t *testing.T) {
	n := GenerateNotes(NotesFacts{Release: Release{ID: "REL-4", Version: "1.5.0", Type: Feature}})
	if len(n.Highlights) != 0 || n.Resolves == nil || n.AffectedCIs == nil || n.Components == nil || n.Artifacts == nil ||
		n.Changes == nil || n.Approvals == nil || n.Deployments == nil || n.Code != nil {
		t.Fatalf("empty notes: %+v", n)
	}
	if md := n.Markdown(); strings.Contains(md, "Resolved problems") {
		t.Fatalf("feature notes list problems:\n%s", md)
	}
}

// TestFingerprintBindsContentNotStatus: version, type, problems, components
// and packages are bound; status, title, notes and evidence are not.
func TestFingerprintBindsContentNotStatus(t *testing.T) {
	base := Release{Version: "1.4.3", Type: ProblemFix, Status: Planned, Resolves: []string{"PRB-1"}, Components: []string{"a@1.0.0"}}
	fp := base.Fingerprint()
	same := base
	same.Status, same.Title, same.Notes, same.Revision = Deployed, "other", "other", 9
	same.Artifacts = []Artifact{{SHA256: strings.Repeat("e", 64), Kind: "sbom"}}
	if same.Fingerprint() != fp {
		t.Fatal("status, title, notes and evidence must not change the fingerprint")
	}
	for name, edit := range map[string]func(r *Release){
		"version":    func(r *Release) { r.Version = "1.4.4" },
		"type":       func(r *Release) { r.Type = Mixed },
		"resolves":   func(r *Release) { r.Resolves = []string{"PRB-2"} },
		"components": func(r *Release) { r.Components = []string{"a@1.0.1"} },
		"package":    func(r *Release) { r.Artifacts = []Artifact{{SHA256: strings.Repeat("f", 64), Kind: "package"}} },
	} {
		r := base
		edit(&r)
		if r.Fingerprint() == fp {
			t.Errorf("%s must change the fingerprint", name)
		}
	}
}

package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func putDoc(t *testing.T, s *store.Store, body string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	sha := hex.EncodeToString(sum[:])
	if _, _, err := s.PutArtifact(context.Background(), alice, store.Artifact{SHA256: sha, Name: "rca.md", Size: int64(len(body))}, "rca"); err != nil {
		t.Fatal(err)
	}
	return sha
}

func recordDoc(t *testing.T, s *store.Store, prb int64, sha string) {
	t.Helper()
	cats := policy.Default().RootCauseCategories
	_, err := s.UpdateProblem(context.Background(), alice, prb, 0, "problem.rca", func(p *problem.Problem, pc store.ProblemContext) error {
		return p.RecordRCA(cats[0], "pool too small", sha, "alice", pc.Now, cats)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rcaDocs(r release.Release) []string {
	var out []string
	for _, a := range r.Artifacts {
		if a.Kind == "rca" {
			out = append(out, a.SHA256)
		}
	}
	slices.Sort(out)
	return out
}

func sorted(s ...string) []string { slices.Sort(s); return s }

// TestRCADocumentsBecomeReleaseEvidence: a release carries the RCA
// documents of its problems from creation; a new document joins the earlier
// one; a document named before its upload joins at upload; a P1/P2 fix
// raises its artifacts to the policy's critical-fix class.
func TestRCADocumentsBecomeReleaseEvidence(t *testing.T) {
	s, _ := storetest.Open(t)
	releaseSeed(t, s) // PRB-1, priority 2
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "Slow search", Priority: 3, CIs: []string{"checkout-api"}}, nil); err != nil {
		t.Fatal(err)
	}
	doc1 := putDoc(t, s, "# RCA v1")
	recordDoc(t, s, 2, doc1)
	rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "2.0.0", Type: release.ProblemFix, Resolves: []string{"PRB-2"}})
	if err != nil || !slices.Equal(rcaDocs(rel), []string{doc1}) {
		t.Fatalf("created with its evidence: %+v %v", rel, err)
	}
	ev, _ := s.AuditEventsFor(ctx, "release", rel.ID, 10)
	if len(ev) != 1 || ev[0].Action != "release.create" || !strings.Contains(ev[0].After, doc1) {
		t.Fatalf("the create event shows the evidence: %+v", ev)
	}
	if a, _ := s.GetArtifact(ctx, doc1); a.RetentionClass != "standard" {
		t.Fatalf("a P3 fix leaves the class alone: %+v", a)
	}
	doc2 := putDoc(t, s, "# RCA v2")
	recordDoc(t, s, 2, doc2)
	got, _ := s.GetRelease(ctx, 1)
	if !slices.Equal(rcaDocs(got), sorted(doc1, doc2)) || got.Revision != rel.Revision+1 {
		t.Fatalf("a new document joins the old one: %+v", got)
	}
	ev, _ = s.AuditEventsFor(ctx, "release", rel.ID, 10)
	if ev[len(ev)-1].Action != "release.attach" || !strings.Contains(ev[len(ev)-1].After, "rca document of PRB-2") {
		t.Fatalf("attach audited: %+v", ev[len(ev)-1])
	}
	sum := sha256.Sum256([]byte("# RCA v3")) // named before its upload
	doc3 := hex.EncodeToString(sum[:])
	recordDoc(t, s, 2, doc3)
	if got, _ := s.GetRelease(ctx, 1); len(rcaDocs(got)) != 2 {
		t.Fatalf("a document not uploaded cannot attach yet: %+v", got)
	}
	putDoc(t, s, "# RCA v3")
	if got, _ := s.GetRelease(ctx, 1); !slices.Equal(rcaDocs(got), sorted(doc1, doc2, doc3)) {
		t.Fatalf("attached at upload: %+v", got)
	}

	// PRB-1 (priority 2): its fix gets the critical-fix class for all its artifacts.
	doc4 := putDoc(t, s, "# RCA of PRB-1")
	recordDoc(t, s, 1, doc4)
	fix, err := s.CreateRelease(ctx, alice, release.Release{Version: "2.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
	if err != nil || !slices.Equal(rcaDocs(fix), []string{doc4}) {
		t.Fatalf("P2 fix: %+v %v", fix, err)
	}
	if a, _ := s.GetArtifact(ctx, doc4); a.RetentionClass != policy.Default().Retention.CriticalFixClass {
		t.Fatalf("critical-fix class: %+v", a)
	}
}

// TestReleaseVersionMustBeABump: an explicit version at or below the
// line's latest release is refused naming version, nothing written.
func TestReleaseVersionMustBeABump(t *testing.T) {
	s, _ := storetest.Open(t)
	releaseSeed(t, s)
	ctx := context.Background()
	first := release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"}, Components: []string{"checkout-api@1.4.3"}}
	if _, err := s.CreateRelease(ctx, alice, first); err != nil {
		t.Fatal(err) // the first release of the line: no basis
	}
	n0 := relAuditCount(t, s)
	for _, v := range []string{"1.4.3", "1.4.2", "0.9.0"} {
		_, err := s.CreateRelease(ctx, alice, release.Release{Version: v, Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
		relWantField(t, err, "version")
		if fe := fault.As(err); !strings.Contains(fe.Message, "REL-1 1.4.3") || !strings.Contains(fe.Message, "1.4.4") {
			t.Fatalf("the refusal names the basis and the next patch: %v", err)
		}
		_, err = s.CreateRelease(ctx, alice, release.Release{Version: v, Type: release.Feature, Components: []string{"checkout-api@1.4.3"}})
		relWantField(t, err, "version") // the components' line too
	}
	if relAuditCount(t, s) != n0 {
		t.Fatal("refused releases were written")
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.4.4", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "0.1.0", Type: release.Feature}); err != nil {
		t.Fatalf("a release of no line takes any version: %v", err)
	}
}

// TestLegalHolds: a hold needs a reason, is a compare-and-set, is audited,
// and cannot be placed twice or lifted when absent.
func TestLegalHolds(t *testing.T) {
	s, _ := storetest.Open(t)
	releaseSeed(t, s)
	ctx := context.Background()
	sha := putDoc(t, s, "evidence")
	_, err := s.SetArtifactHold(ctx, alice, sha, 0, true, " ")
	relWantField(t, err, "reason")
	_, err = s.SetArtifactHold(ctx, alice, sha, 7, true, "litigation 2026-14")
	relWantCode(t, err, fault.PreconditionFailed)
	a, err := s.SetArtifactHold(ctx, alice, sha, 1, true, "litigation 2026-14")
	if err != nil || !a.Hold.Held() || a.Hold.By != "alice" || a.Revision != 2 {
		t.Fatalf("hold: %+v %v", a, err)
	}
	_, err = s.SetArtifactHold(ctx, alice, sha, 0, true, "again")
	relWantCode(t, err, fault.Conflict)
	if a, err = s.SetArtifactHold(ctx, alice, sha, 2, false, "case closed"); err != nil || a.Hold.Held() {
		t.Fatalf("unhold: %+v %v", a, err)
	}
	_, err = s.SetArtifactHold(ctx, alice, sha, 0, false, "case closed")
	relWantCode(t, err, fault.Conflict)
	ev, _ := s.AuditEventsFor(ctx, "artifact", sha, 10)
	if len(ev) != 3 || ev[1].Action != "artifact.hold" || ev[2].Action != "artifact.unhold" || !strings.Contains(ev[2].After, "case closed") {
		t.Fatalf("audited: %+v", ev)
	}

	rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature})
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.SetReleaseHold(ctx, alice, 1, rel.Revision, true, "audit request")
	if err != nil || !h.Hold.Held() || h.Revision != rel.Revision+1 {
		t.Fatalf("release hold: %+v %v", h, err)
	}
	if _, err := s.AttachReleaseArtifact(ctx, alice, 1, 0, sha, "other"); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.GetArtifact(ctx, sha); !slices.Equal(a.ReleaseHolds, []string{"REL-1"}) {
		t.Fatalf("the artifact shows the release's hold: %+v", a)
	}
	_, err = s.SetReleaseHold(ctx, alice, 1, rel.Revision, false, "done")
	relWantCode(t, err, fault.PreconditionFailed)
}

// TestRetentionClassesFromThePolicy: the store accepts exactly the
// policy's classes, defaults to retention.default_class, and never lowers
// a class.
func TestRetentionClassesFromThePolicy(t *testing.T) {
	s, _ := storetest.Open(t)
	releaseSeed(t, s)
	ctx := context.Background()
	sha := hex.EncodeToString(make([]byte, 32))
	for _, c := range []string{"audit-long", "forever", "Standard"} {
		_, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "a.bin", Size: 1, RetentionClass: c}, "")
		relWantField(t, err, "retention_class")
	}
	a, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "a.bin", Size: 1}, "")
	if err != nil || a.RetentionClass != "standard" {
		t.Fatalf("default class: %+v %v", a, err)
	}
	if a, _, _ = s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "a.bin", Size: 1, RetentionClass: "permanent"}, ""); a.RetentionClass != "permanent" {
		t.Fatalf("raised: %+v", a)
	}
	if a, _, _ = s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "a.bin", Size: 1, RetentionClass: "ephemeral"}, ""); a.RetentionClass != "permanent" {
		t.Fatalf("never lowered: %+v", a)
	}
}

package store_test

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/approval"
	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// relAuditCount returns the length of the (verified) audit chain.
func relAuditCount(t *testing.T, s *store.Store) int64 {
	t.Helper()
	n, broken, err := s.VerifyAudit(context.Background())
	if err != nil || broken != nil {
		t.Fatalf("audit chain: %v %v", broken, err)
	}
	return n
}

func relWantField(t *testing.T, err error, field string) {
	t.Helper()
	if fe := fault.As(err); fe == nil || fe.Code != fault.Invalid || fe.Field != field {
		t.Fatalf("got %v, want invalid %q", err, field)
	}
}

func relWantCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	if fault.CodeOf(err) != code {
		t.Fatalf("got %v (%s), want %s", err, fault.CodeOf(err), code)
	}
}

func TestComponentVersionsCreateGetListMove(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateCI(ctx, alice, ci.CI{Name: "payments"}); err != nil {
		t.Fatal(err)
	}
	n0 := relAuditCount(t, s)
	_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "nope", Version: "1.0.0"})
	relWantField(t, err, "ci")
	_, err = s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.0.0",
		Dependencies: []ci.Dependency{{CI: "ghost", Constraint: "^1"}}})
	relWantField(t, err, "dependencies")
	_, err = s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.0"})
	relWantField(t, err, "version")
	if list, _ := s.ListComponents(ctx, store.ComponentFilter{}); len(list) != 0 || relAuditCount(t, s) != n0 {
		t.Fatalf("refused creates wrote %d versions, %d events", len(list), relAuditCount(t, s)-n0)
	}

	digest := "sha256:" + strings.Repeat("ab", 32)
	v, err := s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.4.3", Digest: digest,
		Dependencies: []ci.Dependency{{CI: "payments", Constraint: "^2.1"}}})
	if err != nil || v.ID != "CV-1" || v.Status != ci.Candidate || v.CreatedBy != "alice" {
		t.Fatalf("create: %+v %v", v, err)
	}
	_, err = s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.4.3"})
	relWantCode(t, err, fault.Conflict)
	for _, ref := range []string{"CV-1", "checkout-api@1.4.3", "1"} {
		got, err := s.GetComponent(ctx, ref)
		if err != nil || got.ID != "CV-1" || got.Digest != digest || len(got.Dependencies) != 1 || got.Dependencies[0].Constraint != "^2.1" {
			t.Fatalf("get %s: %+v %v", ref, got, err)
		}
	}
	_, err = s.GetComponent(ctx, "checkout-api@9.9.9")
	relWantCode(t, err, fault.NotFound)
	_, err = s.GetComponent(ctx, "garbage")
	relWantField(t, err, "ref")

	if _, err := s.CreateComponent(ctx, alice, ci.Version{CI: "payments", Version: "2.1.0"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListComponents(ctx, store.ComponentFilter{CI: "payments"})
	if err != nil || len(list) != 1 || list[0].ID != "CV-2" {
		t.Fatalf("list by ci: %+v %v", list, err)
	}
	page1, _ := s.ListComponents(ctx, store.ComponentFilter{Page: store.Page{Limit: 1}})
	page2, _ := s.ListComponents(ctx, store.ComponentFilter{Page: store.Page{Limit: 1, After: 1}})
	if len(page1) != 1 || page1[0].ID != "CV-1" || len(page2) != 1 || page2[0].ID != "CV-2" {
		t.Fatalf("paging: %+v %+v", page1, page2)
	}

	moved, err := s.MoveComponent(ctx, alice, "checkout-api@1.4.3", 1, ci.Approved)
	if err != nil || moved.Status != ci.Approved || moved.Revision != 2 {
		t.Fatalf("approve: %+v %v", moved, err)
	}
	_, err = s.MoveComponent(ctx, alice, "CV-1", 1, ci.Revoked)
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = s.MoveComponent(ctx, alice, "CV-1", 0, ci.Candidate)
	relWantCode(t, err, fault.Conflict)
	if got, _ := s.GetComponent(ctx, "CV-1"); got.Status != ci.Approved || got.Revision != 2 {
		t.Fatalf("refused moves changed the version: %+v", got)
	}
	if list, _ := s.ListComponents(ctx, store.ComponentFilter{Status: ci.Approved}); len(list) != 1 {
		t.Fatalf("list by status: %+v", list)
	}
}

func TestArtifactMetadata(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	sha := strings.Repeat("0f", 32)
	n0 := relAuditCount(t, s)
	_, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "rca.md", Size: 3, RetentionClass: "forever"}, "rca")
	relWantField(t, err, "retention_class")
	_, _, err = s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "../etc/passwd", Size: 3}, "rca")
	relWantField(t, err, "name")
	if relAuditCount(t, s) != n0 {
		t.Fatal("refused artifacts were audited")
	}
	a, created, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "rca.md", Size: 3, MediaType: "text/markdown"}, "rca")
	if err != nil || !created || a.RetentionClass != "standard" || a.CreatedBy != "alice" {
		t.Fatalf("put: %+v %v %v", a, created, err)
	}
	again, created, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "other.md", Size: 3}, "")
	if err != nil || created || again.Name != "rca.md" || again.RetentionClass != "standard" {
		t.Fatalf("second put must return the first row: %+v %v %v", again, created, err)
	}
	if relAuditCount(t, s) != n0+1 {
		t.Fatalf("want one audit event, got %d", relAuditCount(t, s)-n0)
	}
	up, created, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "x.md", Size: 3, RetentionClass: "regulated"}, "")
	if err != nil || created || up.RetentionClass != "regulated" || relAuditCount(t, s) != n0+2 {
		t.Fatalf("retention upgrade: %+v %v %v", up, created, err)
	}
	down, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "x.md", Size: 3}, "")
	if err != nil || down.RetentionClass != "regulated" || relAuditCount(t, s) != n0+2 {
		t.Fatalf("retention must never be lowered: %+v %v", down, err)
	}
	got, err := s.GetArtifact(ctx, sha)
	if err != nil || got.MediaType != "text/markdown" || got.Size != 3 || got.RetentionClass != "regulated" {
		t.Fatalf("get: %+v %v", got, err)
	}
	_, err = s.GetArtifact(ctx, strings.Repeat("1", 64))
	relWantCode(t, err, fault.NotFound)
}

// releaseSeed adds PRB-1 and component versions checkout-api@1.4.3 (CV-1) and @1.4.4 (CV-2, revoked).
func releaseSeed(t *testing.T, s *store.Store) {
	t.Helper()
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "Checkout 500s", Priority: 2, CIs: []string{"checkout-api"}}, nil); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.4.3", "1.4.4"} {
		if _, err := s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: v}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.MoveComponent(ctx, alice, "CV-2", 0, ci.Revoked); err != nil {
		t.Fatal(err)
	}
}

func TestCreateReleaseUnknownReferencesWriteNothing(t *testing.T) {
	s, _ := storetest.Open(t)
	releaseSeed(t, s)
	ctx := context.Background()
	n0 := relAuditCount(t, s)
	_, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-9"}})
	relWantField(t, err, "resolves")
	_, err = s.CreateRelease(ctx, alice, release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"},
		Components: []string{"checkout-api@9.0.0"}})
	relWantField(t, err, "components")
	_, err = s.CreateRelease(ctx, alice, release.Release{Version: "1.4.4", Type: release.ProblemFix, Resolves: []string{"PRB-1"},
		Components: []string{"checkout-api@1.4.4"}})
	relWantField(t, err, "components") // revoked
	list, _ := s.ListReleases(ctx, store.ReleaseFilter{})
	if len(list) != 0 || relAuditCount(t, s) != n0 {
		t.Fatalf("refused creates wrote %d releases, %d events", len(list), relAuditCount(t, s)-n0)
	}
}

func TestReleaseListUpdateMoveAttach(t *testing.T) {
	s, clock := storetest.Open(t)
	releaseSeed(t, s)
	ctx := context.Background()
	fix, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"},
		Components: []string{"checkout-api@1.4.3"}, Title: "Fix checkout"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1.5.0", "1.6.0", "1.7.0"} {
		if _, err := s.CreateRelease(ctx, alice, release.Release{Version: v, Type: release.Feature}); err != nil {
			t.Fatal(err)
		}
	}
	if l, _ := s.ListReleases(ctx, store.ReleaseFilter{Problem: 1}); len(l) != 1 || l[0].ID != fix.ID || l[0].Components[0] != "checkout-api@1.4.3" {
		t.Fatalf("list by problem: %+v", l)
	}
	if l, _ := s.ListReleases(ctx, store.ReleaseFilter{Type: release.Feature, Page: store.Page{Limit: 2}}); len(l) != 2 || l[0].ID != "REL-2" {
		t.Fatalf("list by type: %+v", l)
	}
	if l, _ := s.ListReleases(ctx, store.ReleaseFilter{Page: store.Page{After: 3, Limit: 2}}); len(l) != 1 || l[0].ID != "REL-4" {
		t.Fatalf("paging: %+v", l)
	}

	clock.Advance(1)
	edit := func(r *release.Release) error {
		if err := r.CheckEditable(); err != nil {
			return err
		}
		r.Title, r.Components = "Fix checkout 500s", []string{}
		return nil
	}
	up, err := s.UpdateRelease(ctx, alice, 1, 1, "release.update", edit)
	if err != nil || up.Title != "Fix checkout 500s" || len(up.Components) != 0 || up.Revision != 2 {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = s.UpdateRelease(ctx, alice, 1, 1, "release.update", edit)
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = s.UpdateRelease(ctx, alice, 1, 2, "release.update", func(r *release.Release) error {
		r.Components = []string{"checkout-api@1.4.4"}
		return nil
	})
	relWantField(t, err, "components")

	if _, err := s.CreateApproval(ctx, bob, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	moved, err := s.UpdateRelease(ctx, alice, 1, 2, "release.move", func(r *release.Release) error { return r.Move(release.Approved) })
	if err != nil || moved.Status != release.Approved || moved.Revision != 3 {
		t.Fatalf("move: %+v %v", moved, err)
	}
	_, err = s.UpdateRelease(ctx, alice, 1, 3, "release.update", edit)
	relWantCode(t, err, fault.Conflict)
	_, err = s.UpdateRelease(ctx, alice, 1, 3, "release.move", func(r *release.Release) error { return r.Move(release.Verified) })
	relWantCode(t, err, fault.Conflict)

	sha := strings.Repeat("ab", 32)
	n0 := relAuditCount(t, s)
	_, err = s.AttachReleaseArtifact(ctx, alice, 1, 0, sha, "sbom")
	relWantField(t, err, "sha256")
	if _, _, err := s.PutArtifact(ctx, alice, store.Artifact{SHA256: sha, Name: "sbom.json", Size: 10}, "sbom"); err != nil {
		t.Fatal(err)
	}
	_, err = s.AttachReleaseArtifact(ctx, alice, 1, 0, sha, "package")
	relWantCode(t, err, fault.Conflict) // packages only while planned
	_, err = s.AttachReleaseArtifact(ctx, alice, 1, 0, sha, "bogus")
	relWantField(t, err, "kind")
	att, err := s.AttachReleaseArtifact(ctx, alice, 1, 3, sha, "sbom")
	if err != nil || att.Revision != 4 || len(att.Artifacts) != 1 || att.Artifacts[0].Name != "sbom.json" {
		t.Fatalf("attach: %+v %v", att, err)
	}
	same, err := s.AttachReleaseArtifact(ctx, alice, 1, 0, sha, "sbom")
	if err != nil || same.Revision != 4 {
		t.Fatalf("re-attach must be a no-op: %+v %v", same, err)
	}
	// artifact.create, artifact.retain (PRB-1 is priority 2: the critical-fix class) and release.attach.
	if got := relAuditCount(t, s) - n0; got != 3 {
		t.Fatalf("want 3 audit events, got %d", got)
	}
	if a, _ := s.GetArtifact(ctx, sha); a.RetentionClass != "regulated" {
		t.Fatalf("an artifact of a P2 fix keeps the critical-fix class: %+v", a)
	}
	got, _ := s.GetRelease(ctx, 1)
	if got.Status != release.Approved || got.Revision != 4 || got.Title != "Fix checkout 500s" || len(got.Artifacts) != 1 {
		t.Fatalf("stored: %+v", got)
	}
	events, _ := s.AuditEventsFor(ctx, "release", "REL-1", 20)
	if len(events) != 4 {
		t.Fatalf("want 4 release events (create, update, move, attach), got %d", len(events))
	}
}

package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// planSeed builds: payments-lib 2.1.4 embedded by checkout-api 1.4.2 (both
// live in prod-eu), checkout-api 1.4.9 live only in staging, storefront
// calling checkout-api =1.4.2 (a row stored before kinds existed; its
// 5.1.0 revoked), mobile-bff calling it ^1.4 and held by a planned
// release; PRB-1 on payments-lib, PRB-2 on storefront, PRB-3 on
// mobile-bff, PRB-4 on no CI.
func planSeed(t *testing.T, s *store.Store) {
	t.Helper()
	seed(t, s)
	ctx := context.Background()
	for _, name := range []string{"payments-lib", "storefront", "mobile-bff"} {
		mustDo(t, func() error { _, err := s.CreateCI(ctx, alice, ci.CI{Name: name}); return err })
	}
	mustDo(t, func() error {
		_, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "stage", Tier: environment.Staging})
		return err
	})
	dep := func(name, constraint, kind string) []ci.Dependency {
		return []ci.Dependency{{CI: name, Constraint: constraint, Kind: kind}}
	}
	for _, v := range []ci.Version{{CI: "payments-lib", Version: "2.1.4"},
		{CI: "checkout-api", Version: "1.4.2", Dependencies: dep("payments-lib", "^2.1", ci.Embeds)},
		{CI: "checkout-api", Version: "1.4.9"},
		{CI: "storefront", Version: "5.0.0"}, {CI: "storefront", Version: "5.1.0"},
		{CI: "mobile-bff", Version: "1.0.0", Dependencies: dep("checkout-api", "^1.4", ci.Calls)}} {
		mustDo(t, func() error { _, err := s.CreateComponent(ctx, alice, v); return err })
	}
	mustDo(t, func() error { _, err := s.MoveComponent(ctx, alice, "storefront@5.1.0", 0, ci.Revoked); return err })
	if _, err := s.DB().ExecContext(ctx, `UPDATE component_versions SET dependencies = $1 WHERE ci = $2 AND version = $3`,
		`[{"ci":"checkout-api","constraint":"=1.4.2"}]`, "storefront", "5.0.0"); err != nil {
		t.Fatal(err)
	}
	for i, r := range []release.Release{{Version: "1.4.2", Type: release.Feature, Components: []string{"checkout-api@1.4.2", "payments-lib@2.1.4"}},
		{Version: "1.4.9", Type: release.Feature, Components: []string{"checkout-api@1.4.9"}},
		{Version: "1.0.0", Type: release.Feature, Components: []string{"mobile-bff@1.0.0"}}} {
		rel, err := s.CreateRelease(ctx, alice, r)
		mustDo(t, func() error { return err })
		if i < 2 {
			engDeploy(t, s, rel.ID, []string{"prod-eu", "stage"}[i], deploy.Succeeded)
		}
	}
	for _, cis := range [][]string{{"payments-lib"}, {"storefront"}, {"mobile-bff"}, nil} {
		_, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "bug in " + strings.Join(cis, ","), Priority: 2, CIs: cis}, nil)
		mustDo(t, func() error { return err })
	}
}

// TestReleasePlan: the current version is the one live in production (not
// staging, not the highest registered), else the highest not revoked; a
// dependency stored without a kind is a call.
func TestReleasePlan(t *testing.T) {
	s, _ := storetest.Open(t)
	planSeed(t, s)
	ctx := context.Background()
	if v, err := s.GetComponent(ctx, "storefront@5.0.0"); err != nil || v.Dependencies[0].Kind != ci.Calls {
		t.Fatalf("a dependency stored without a kind reads as calls: %+v %v", v, err)
	}
	items, err := s.ReleasePlan(ctx, []string{"PRB-1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s %s->%s [%s]", it.CI, it.CurrentVersion, it.ProposedVersion, it.Reason))
	}
	want := []string{"payments-lib 2.1.4->2.1.5 [affected by PRB-1]",
		"checkout-api 1.4.2->1.4.3 [embeds payments-lib]",
		"storefront 5.0.0->5.0.1 [calls checkout-api with constraint =1.4.2 that does not admit 1.4.3]"}
	if !slices.Equal(got, want) {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range [][]string{nil, {"PRB-99"}, {"garbage"}, {"PRB-4"}} {
		_, err := s.ReleasePlan(ctx, bad)
		relWantField(t, err, "resolves")
	}
}

// TestNextReleaseVersion: the next patch over the highest version live in
// production among the affected CIs, else over the latest release holding
// one, else a clear refusal.
func TestNextReleaseVersion(t *testing.T) {
	s, _ := storetest.Open(t)
	planSeed(t, s)
	ctx := context.Background()
	for _, tc := range []struct {
		resolves      []string
		version, from string
	}{
		{[]string{"PRB-1"}, "2.1.5", "payments-lib@2.1.4 live in prod-eu"},
		{[]string{"PRB-3"}, "1.0.1", "REL-3 1.0.0, the latest release of mobile-bff"},
		{[]string{"PRB-3", "PRB-1"}, "2.1.5", "payments-lib@2.1.4 live in prod-eu"},
	} {
		v, basis, err := s.NextReleaseVersion(ctx, tc.resolves)
		if err != nil || v != tc.version || basis != tc.from {
			t.Errorf("%v: got %q based on %q (%v), want %q based on %q", tc.resolves, v, basis, err, tc.version, tc.from)
		}
	}
	_, _, err := s.NextReleaseVersion(ctx, []string{"PRB-2"})
	relWantField(t, err, "next")
	_, _, err = s.NextReleaseVersion(ctx, []string{"PRB-99"})
	relWantField(t, err, "resolves")
}

// TestTagRelease: the tag must be v<version> and the commit an object id;
// it is recorded once with its audit event, again identically without
// one, and never moved; nothing is written on a refusal.
func TestTagRelease(t *testing.T) {
	s, _ := storetest.Open(t)
	planSeed(t, s)
	ctx := context.Background()
	commit, other := strings.Repeat("ab", 20), strings.Repeat("cd", 20)
	n0 := relAuditCount(t, s)
	for _, tc := range []struct{ tag, commit, field string }{
		{"1.4.2", commit, "tag"}, {"v1.4.3", commit, "tag"}, {"v1.4.2", "HEAD", "commit"}, {"v1.4.2", strings.ToUpper(commit), "commit"},
	} {
		_, err := s.TagRelease(ctx, bob, 1, 0, tc.tag, tc.commit)
		relWantField(t, err, tc.field)
	}
	_, err := s.TagRelease(ctx, bob, 1, 7, "v1.4.2", commit)
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = s.TagRelease(ctx, bob, 99, 0, "v1.4.2", commit)
	relWantCode(t, err, fault.NotFound)
	if relAuditCount(t, s) != n0 {
		t.Fatal("refusals wrote audit events")
	}
	before, _ := s.GetRelease(ctx, 1)
	r, err := s.TagRelease(ctx, bob, 1, before.Revision, "v1.4.2", commit)
	if err != nil || r.Tag != "v1.4.2" || r.Commit != commit || r.Revision != before.Revision+1 || relAuditCount(t, s) != n0+1 {
		t.Fatalf("tag: %+v %v", r, err)
	}
	if got, _ := s.GetRelease(ctx, 1); got.Tag != "v1.4.2" || got.Commit != commit {
		t.Fatalf("stored: %+v", got)
	}
	if again, err := s.TagRelease(ctx, bob, 1, 0, "v1.4.2", commit); err != nil || again.Revision != r.Revision || relAuditCount(t, s) != n0+1 {
		t.Fatalf("the same tag again changes nothing: %+v %v", again, err)
	}
	_, err = s.TagRelease(ctx, bob, 1, 0, "v1.4.2", other)
	relWantCode(t, err, fault.Conflict)
	if got, _ := s.GetRelease(ctx, 1); got.Commit != commit || relAuditCount(t, s) != n0+1 {
		t.Fatalf("a tag is never moved: %+v", got)
	}
}

package store_test

import (
	"context"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// The gate's catalogue snapshot follows every catalogue write at once: a
// component revoked, a CI's criticality or dependencies changed, a new
// version, a refused write changes nothing.
func TestGateCatalogueSnapshotFollowsWrites(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	gateGraph200(t, s)
	ctx := context.Background()
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	status := func(ciName, version string) string {
		t.Helper()
		in, _, err := s.GateInput(ctx, q, pol)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range in.Catalogue[ciName] {
			if v.Version == version {
				return v.Status
			}
		}
		return "missing"
	}
	if got := status("ci-150", "1.0.0"); got != ci.Candidate {
		t.Fatalf("before: %s", got)
	}
	for _, to := range []string{ci.Approved, ci.Revoked} {
		if _, err := s.MoveComponent(ctx, alice, "ci-150@1.0.0", 0, to); err != nil {
			t.Fatal(err)
		}
		if got := status("ci-150", "1.0.0"); got != to {
			t.Fatalf("after moving to %s the gate reads %s", to, got)
		}
	}
	if _, err := s.CreateComponent(ctx, alice, ci.Version{CI: "ci-150", Version: "1.0.9"}); err != nil {
		t.Fatal(err)
	}
	if got := status("ci-150", "1.0.9"); got != ci.Candidate {
		t.Fatalf("new version: %s", got)
	}
	if _, err := s.UpdateCI(ctx, alice, "ci-000", 0, func(c *ci.CI) error { c.Criticality = "critical"; return nil }); err != nil {
		t.Fatal(err)
	}
	in, _, err := s.GateInput(ctx, q, pol)
	if err != nil {
		t.Fatal(err)
	}
	crit := ""
	for _, c := range in.CIs {
		if c.Name == "ci-000" {
			crit = c.Criticality
		}
	}
	if crit != "critical" || gate.Evaluate(pol, in, clock.Now()).RiskClass != "critical" {
		t.Fatalf("criticality %q", crit)
	}
	// a refused write (unknown dependency) leaves the snapshot in use
	if _, err := s.UpdateCI(ctx, alice, "ci-001", 0, func(c *ci.CI) error { c.DependsOn = []string{"nope"}; return nil }); err == nil {
		t.Fatal("unknown dependency accepted")
	}
	if got := status("ci-150", "1.0.0"); got != ci.Revoked {
		t.Fatalf("after a refused write: %s", got)
	}
}

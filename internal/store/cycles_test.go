package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"fixgate/internal/cycle"
	"fixgate/internal/fault"
	"fixgate/internal/incident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestCycles: create (unknown environment and taken name refused, nothing
// written), add and remove problems with compare-and-set and audit events,
// look up by id or name, and show each target's state and releases.
func TestCycles(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for _, title := range []string{"Checkout 500s", "Slow search"} {
		if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: title, Priority: 2, CIs: []string{"checkout-api"}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
	n0 := relAuditCount(t, s)
	c := cycle.Cycle{Name: "train-03", Starts: clock.T, Ends: clock.T.Add(30 * 24 * time.Hour), Envs: []string{"nope"}}
	_, err := s.CreateCycle(ctx, alice, c)
	relWantField(t, err, "envs")
	c.Envs = []string{"prod-eu"}
	got, err := s.CreateCycle(ctx, alice, c)
	if err != nil || got.ID != "CYC-1" || got.Revision != 1 || relAuditCount(t, s) != n0+1 {
		t.Fatalf("create: %+v %v (%d events)", got, err, relAuditCount(t, s)-n0)
	}
	_, err = s.CreateCycle(ctx, alice, c)
	relWantCode(t, err, fault.Conflict)

	_, err = s.AddCycleProblem(ctx, alice, "CYC-1", 1, "PRB-9")
	relWantField(t, err, "problem")
	got, err = s.AddCycleProblem(ctx, alice, "train-03", 1, "PRB-2")
	if err != nil || got.Revision != 2 || !slices.Equal(got.Problems, []string{"PRB-2"}) {
		t.Fatalf("add: %+v %v", got, err)
	}
	_, err = s.AddCycleProblem(ctx, alice, "CYC-1", 1, "PRB-1")
	relWantCode(t, err, fault.PreconditionFailed)
	if got, err = s.AddCycleProblem(ctx, alice, "CYC-1", 2, "PRB-1"); err != nil || got.Revision != 3 {
		t.Fatalf("add PRB-1: %+v %v", got, err)
	}
	if again, err := s.AddCycleProblem(ctx, alice, "CYC-1", 0, "PRB-1"); err != nil || again.Revision != 3 {
		t.Fatalf("adding twice changed the cycle: %+v %v", again, err)
	}
	if n := relAuditCount(t, s); n != n0+3 {
		t.Fatalf("%d audit events, want 3 (create, two adds)", n-n0)
	}
	cyc, targets, err := s.CycleTargets(ctx, "CYC-1")
	if err != nil || !slices.Equal(cyc.Problems, []string{"PRB-1", "PRB-2"}) || len(targets) != 2 ||
		targets[0].Status != problem.New || len(targets[0].Releases) != 1 || targets[0].Releases[0].ID != "REL-1" || len(targets[1].Releases) != 0 {
		t.Fatalf("targets: %+v %+v %v", cyc, targets, err)
	}
	if got, err = s.RemoveCycleProblem(ctx, alice, "CYC-1", 3, "PRB-2"); err != nil || !slices.Equal(got.Problems, []string{"PRB-1"}) || got.Revision != 4 {
		t.Fatalf("remove: %+v %v", got, err)
	}
	_, err = s.RemoveCycleProblem(ctx, alice, "CYC-1", 4, "PRB-2")
	relWantCode(t, err, fault.NotFound)
	_, err = s.GetCycle(ctx, "CYC-7")
	relWantCode(t, err, fault.NotFound)
	if list, err := s.ListCycles(ctx, store.Page{}); err != nil || len(list) != 1 || list[0].Name != "train-03" {
		t.Fatalf("list: %+v %v", list, err)
	}
}

// TestCyclePlanFacts: incidents in the window are counted per problem with
// their worst severity; older ones are not; closed problems are left out;
// the workaround, fix releases and targeting cycles are reported.
func TestCyclePlanFacts(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for _, p := range []problem.Problem{{Title: "Checkout 500s", Priority: 2, CIs: []string{"checkout-api"}},
		{Title: "Slow search", Priority: 3, CIs: []string{"checkout-api"}, Workaround: "restart"}, {Title: "Quiet", Priority: 4}} {
		if _, err := s.CreateProblem(ctx, alice, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	now := clock.T
	for i, x := range []struct {
		prb  string
		sev  int
		days int
	}{{"PRB-1", 3, 2}, {"PRB-1", 1, 10}, {"PRB-1", 2, 200}, {"PRB-2", 4, 5}, {"PRB-2", 4, 6}} {
		if _, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "x", Source: "api", CI: "checkout-api", Env: "prod-eu", Severity: x.sev,
			OpenedAt: now.Add(-time.Duration(x.days) * 24 * time.Hour), Problem: x.prb, ExternalID: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.4.3", Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCycle(ctx, alice, cycle.Cycle{Name: "train", Starts: now, Ends: now.Add(24 * time.Hour), Envs: []string{"prod-eu"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddCycleProblem(ctx, alice, "train", 0, "PRB-2"); err != nil {
		t.Fatal(err)
	}
	f, err := s.CyclePlanFacts(ctx, now.Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Problems) != 2 {
		t.Fatalf("candidates %+v", f.Problems)
	}
	p1, p2 := f.Problems[0], f.Problems[1]
	if p1.Problem != "PRB-1" || p1.Incidents != 2 || p1.WorstSeverity != 1 || p1.FixReleases != 1 || p1.Workaround || len(p1.Cycles) != 0 {
		t.Errorf("PRB-1 facts %+v", p1)
	}
	if p2.Problem != "PRB-2" || p2.Incidents != 2 || p2.WorstSeverity != 4 || !p2.Workaround || p2.FixReleases != 0 || !slices.Equal(p2.Cycles, []string{"CYC-1"}) {
		t.Errorf("PRB-2 facts %+v", p2)
	}
	if len(f.Releases) != 1 || f.Releases[0].ID != "REL-1" || !slices.Equal(f.Releases[0].Resolves, []string{"PRB-1"}) || f.Releases[0].Priorities[0] != 2 {
		t.Errorf("open releases %+v", f.Releases)
	}
}

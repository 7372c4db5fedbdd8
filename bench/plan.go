package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

const (
	planCIs   = 5000
	planWidth = 100 // CIs per layer: 50 layers, each CI depending on 3 of the layer below
	planRuns  = 30
)

// benchPlan measures `release plan` (store.ReleasePlan: the snapshot
// reads of the whole graph and release.Plan) on a 5,000-CI graph of
// diamonds, the planner alone on the same facts in memory, and a plain
// breadth-first walk over the same graph in memory (the baseline).
func benchPlan(ctx context.Context, c config) error {
	fmt.Printf("\n[plan] %d CIs in layers of %d, 3 dependencies each (1 in 3 embeds, 1 in 3 pinned =), %d runs; %s\n",
		planCIs, planWidth, planRuns, dbLabel(c.db))
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer done()
	graph := planGraph()
	t0 := time.Now()
	if err := planLoad(ctx, st, graph); err != nil {
		return err
	}
	fmt.Printf("  loaded in %s (load average %s)\n", time.Since(t0).Round(time.Millisecond), loadAvg())
	affected := map[string][]string{planName(0): {"PRB-1"}, planName(1): {"PRB-1"}, planName(2): {"PRB-1"}}
	items, err := st.ReleasePlan(ctx, []string{"PRB-1"})
	if err != nil {
		return err
	}
	reached := planBFS(graph, affected)
	var full, pure, walk []time.Duration
	for range planRuns {
		t0 = time.Now()
		if _, err := st.ReleasePlan(ctx, []string{"PRB-1"}); err != nil {
			return err
		}
		full = append(full, time.Since(t0))
		t0 = time.Now()
		if _, err := release.Plan(release.PlanFacts{CIs: graph, Affected: affected}); err != nil {
			return err
		}
		pure = append(pure, time.Since(t0))
		t0 = time.Now()
		planBFS(graph, affected)
		walk = append(walk, time.Since(t0))
	}
	fmt.Printf("  plan: %d CIs to rebuild; the plain walk reaches %d dependants\n", len(items), reached)
	b50 := percentile(walk, 0.5)
	for _, x := range []struct {
		what string
		d    []time.Duration
	}{{"release plan (store: reads + planner)", full}, {"planner alone (in memory)", pure}, {"baseline: plain BFS (in memory)", walk}} {
		p50 := percentile(x.d, 0.5)
		fmt.Printf("  %-40s p50 %-10s p99 %-10s ratio to BFS %.1f\n", x.what, p50.Round(time.Microsecond),
			percentile(x.d, 0.99).Round(time.Microsecond), float64(p50)/float64(b50))
	}
	fmt.Printf("  load average %s\n", loadAvg())
	return nil
}

func planName(i int) string { return fmt.Sprintf("ci-%04d", i) }

// planGraph draws the graph (fixed seed): versions, and per CI three
// dependencies on the layer below with kinds and constraints.
func planGraph() []release.PlanCI {
	r := rand.New(rand.NewPCG(7, 13))
	cis := make([]release.PlanCI, planCIs)
	for i := range cis {
		cis[i] = release.PlanCI{Name: planName(i), Version: fmt.Sprintf("1.%d.%d", r.IntN(9), r.IntN(9))}
	}
	for i := planWidth; i < planCIs; i++ {
		base := (i/planWidth - 1) * planWidth
		for range 3 {
			j := base + r.IntN(planWidth)
			d := ci.Dependency{CI: cis[j].Name, Constraint: "^" + cis[j].Version, Kind: ci.Calls}
			switch r.IntN(3) {
			case 0:
				d.Kind = ci.Embeds
			case 1:
				d.Constraint = "=" + cis[j].Version
			}
			cis[i].Dependencies = append(cis[i].Dependencies, d)
		}
	}
	return cis
}

// planLoad stores the graph through the store's public paths (CIs,
// component versions, one problem on the first three CIs).
func planLoad(ctx context.Context, st *store.Store, graph []release.PlanCI) error {
	a := audit.System("bench")
	for _, c := range graph {
		if _, err := st.CreateCI(ctx, a, ci.CI{Name: c.Name, Kind: "service"}); err != nil {
			return err
		}
	}
	for _, c := range graph {
		if _, err := st.CreateComponent(ctx, a, ci.Version{CI: c.Name, Version: c.Version, Dependencies: c.Dependencies}); err != nil {
			return err
		}
	}
	_, err := st.CreateProblem(ctx, a, problem.Problem{Title: "bench", Priority: 2, CIs: []string{planName(0), planName(1), planName(2)}}, nil)
	return err
}

// planBFS is the baseline: a plain breadth-first walk from the affected
// CIs over every dependant edge (no kinds, no constraints, no order), on
// an index built in the walk as the planner builds its own. Returns the
// number of CIs reached.
func planBFS(graph []release.PlanCI, affected map[string][]string) int {
	dependants := map[string][]string{}
	for _, c := range graph {
		for _, d := range c.Dependencies {
			dependants[d.CI] = append(dependants[d.CI], c.Name)
		}
	}
	seen := map[string]bool{}
	var queue []string
	for a := range affected {
		seen[a] = true
		queue = append(queue, a)
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range dependants[x] {
			if !seen[y] {
				seen[y] = true
				queue = append(queue, y)
			}
		}
	}
	return len(seen)
}

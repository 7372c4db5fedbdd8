package release

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
)

func dep(name, constraint, kind string) ci.Dependency {
	return ci.Dependency{CI: name, Constraint: constraint, Kind: kind}
}

// TestPlanKinds: an embedding dependant is rebuilt whatever its
// constraint; a caller only when its constraint no longer admits the fix;
// everything else stays; dependencies come first, ties by name.
func TestPlanKinds(t *testing.T) {
	facts := PlanFacts{CIs: []PlanCI{
		{Name: "payments-lib", Version: "2.1.4"},
		{Name: "checkout-api", Version: "1.4.2", Dependencies: []ci.Dependency{dep("payments-lib", "^2.1", ci.Embeds)}},
		{Name: "billing", Version: "3.0.0", Dependencies: []ci.Dependency{dep("payments-lib", "^2.1", ci.Embeds)}},
		{Name: "storefront", Version: "5.0.0", Dependencies: []ci.Dependency{dep("checkout-api", "^1.4", ci.Calls)}},
		{Name: "mobile-bff", Version: "0.9.0", Dependencies: []ci.Dependency{dep("checkout-api", "=1.4.2", ci.Calls)}},
		{Name: "reports", Version: "1.0.0", Dependencies: []ci.Dependency{dep("billing", "~3.0.0", "")}},
		{Name: "unrelated", Version: "1.0.0"},
	}, Affected: map[string][]string{"payments-lib": {"PRB-7", "PRB-3"}}}
	items, err := Plan(facts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%s %s->%s [%s] %v", it.CI, it.CurrentVersion, it.ProposedVersion, it.Reason, it.DependsOn))
	}
	want := []string{
		"payments-lib 2.1.4->2.1.5 [affected by PRB-3, PRB-7] []",
		"billing 3.0.0->3.0.1 [embeds payments-lib] [payments-lib]",
		"checkout-api 1.4.2->1.4.3 [embeds payments-lib] [payments-lib]",
		"mobile-bff 0.9.0->0.9.1 [calls checkout-api with constraint =1.4.2 that does not admit 1.4.3] [checkout-api]",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestPlanCycle: a cycle among the CIs to rebuild is reported with its
// path; a cycle outside the plan does not matter.
func TestPlanCycle(t *testing.T) {
	facts := PlanFacts{CIs: []PlanCI{
		{Name: "a", Version: "1.0.0", Dependencies: []ci.Dependency{dep("c", "^1", ci.Calls)}},
		{Name: "b", Version: "1.0.0", Dependencies: []ci.Dependency{dep("a", "^1", ci.Embeds)}},
		{Name: "c", Version: "1.0.0", Dependencies: []ci.Dependency{dep("b", "^1", ci.Embeds)}},
		{Name: "x", Version: "1.0.0", Dependencies: []ci.Dependency{dep("y", "^1", ci.Calls)}},
		{Name: "y", Version: "1.0.0", Dependencies: []ci.Dependency{dep("x", "^1", ci.Calls)}},
	}, Affected: map[string][]string{"a": {"PRB-1"}}}
	_, err := Plan(facts)
	if fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "a -> c -> b -> a") {
		t.Fatalf("want the cycle a -> c -> b -> a, got %v", err)
	}
	facts.Affected = map[string][]string{"x": {"PRB-2"}}
	items, err := Plan(facts)
	if err != nil || len(items) != 1 || items[0].CI != "x" {
		t.Fatalf("x and y admit each other's versions; only x: %+v %v", items, err)
	}
}

func TestPlanBadFacts(t *testing.T) {
	for name, tc := range map[string]struct {
		f     PlanFacts
		field string
	}{
		"unknown CI":     {PlanFacts{CIs: []PlanCI{{Name: "a"}}, Affected: map[string][]string{"ghost": {"PRB-1"}}}, "resolves"},
		"bad version":    {PlanFacts{CIs: []PlanCI{{Name: "a", Version: "1.2"}}, Affected: map[string][]string{"a": nil}}, "versions"},
		"bad constraint": {PlanFacts{CIs: []PlanCI{{Name: "a", Version: "1.2.0", Dependencies: []ci.Dependency{dep("b", "not a constraint", ci.Calls)}}}}, "dependencies"},
	} {
		if _, err := Plan(tc.f); fault.As(err) == nil || fault.As(err).Field != tc.field {
			t.Errorf("%s: want invalid %s, got %v", name, tc.field, err)
		}
	}
	items, err := Plan(PlanFacts{CIs: []PlanCI{{Name: "new-lib"}, {Name: "svc", Version: "1.0.0",
		Dependencies: []ci.Dependency{dep("new-lib", "^1", ci.Calls)}}}, Affected: map[string][]string{"new-lib": {"PRB-1"}}})
	if err != nil || len(items) != 1 || items[0].ProposedVersion != "" {
		t.Fatalf("a CI without a version: no proposal, callers not judged: %+v %v", items, err)
	}
}

// diamondGraph builds n CIs in layers of width w: each CI depends on three
// CIs of the layer below (diamonds everywhere), with kinds and constraints
// drawn from r; some constraints pin the current version exactly.
func diamondGraph(r *rand.Rand, n, w int) []PlanCI {
	cis := make([]PlanCI, n)
	for i := range cis {
		cis[i] = PlanCI{Name: fmt.Sprintf("ci-%04d", i), Version: fmt.Sprintf("%d.%d.%d", r.IntN(3), r.IntN(5), r.IntN(9))}
	}
	for i := w; i < n; i++ {
		base := (i/w - 1) * w
		for _, j := range []int{base + r.IntN(w), base + r.IntN(w), base + r.IntN(w)} {
			kind := []string{ci.Embeds, ci.Calls, ci.Calls}[r.IntN(3)]
			constraint := "^" + cis[j].Version
			if r.IntN(3) == 0 {
				constraint = "=" + cis[j].Version
			}
			cis[i].Dependencies = append(cis[i].Dependencies, dep(cis[j].Name, constraint, kind))
		}
	}
	r.Shuffle(len(cis), func(i, j int) { cis[i], cis[j] = cis[j], cis[i] })
	return cis
}

// referencePlan computes the plan's set by fixed-point iteration over all
// CIs (no queue) and its order by repeatedly taking the smallest name
// whose dependencies in the set are placed: independent of Plan.
func referencePlan(cis []PlanCI, affected map[string][]string) []string {
	next := map[string]*semver.Version{}
	for _, c := range cis {
		v := semver.MustParse(c.Version).IncPatch()
		next[c.Name] = &v
	}
	in := map[string]bool{}
	for a := range affected {
		in[a] = true
	}
	for changed := true; changed; {
		changed = false
		for _, c := range cis {
			for _, d := range c.Dependencies {
				if in[c.Name] || !in[d.CI] {
					continue
				}
				con, _ := semver.NewConstraint(d.Constraint)
				if d.Kind == ci.Embeds || !con.Check(next[d.CI]) {
					in[c.Name], changed = true, true
				}
			}
		}
	}
	var order []string
	placed := map[string]bool{}
	for len(order) < len(in) {
		best := ""
		for _, c := range cis {
			if !in[c.Name] || placed[c.Name] || (best != "" && c.Name > best) {
				continue
			}
			ok := true
			for _, d := range c.Dependencies {
				ok = ok && (!in[d.CI] || placed[d.CI])
			}
			if ok {
				best = c.Name
			}
		}
		placed[best] = true
		order = append(order, best)
	}
	return order
}

// TestPlanDiamonds500 checks Plan on a 500-CI graph of diamonds against
// the reference computation, for several seeds and affected sets.
func TestPlanDiamonds500(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := rand.New(rand.NewPCG(seed, 42))
		cis := diamondGraph(r, 500, 20)
		affected := map[string][]string{}
		for range 1 + r.IntN(3) {
			affected[fmt.Sprintf("ci-%04d", r.IntN(60))] = []string{"PRB-1"}
		}
		items, err := Plan(PlanFacts{CIs: cis, Affected: affected})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.CI)
			if it.Reason == "" {
				t.Fatalf("seed %d: %s has no reason", seed, it.CI)
			}
		}
		want := referencePlan(cis, affected)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d: plan %d items %v\nreference %d items %v", seed, len(got), got, len(want), want)
		}
		t.Logf("seed %d: %d of %d CIs to rebuild", seed, len(want), len(cis))
		if len(want) < 10 {
			t.Fatalf("seed %d: only %d items; the graph exercises too little", seed, len(want))
		}
	}
}

// BenchmarkPlan5000: the planner alone on a 5,000-CI graph of diamonds
// (go run ./bench -case plan measures it with the store reads and against
// a plain walk).
func BenchmarkPlan5000(b *testing.B) {
	cis := diamondGraph(rand.New(rand.NewPCG(7, 13)), 5000, 100)
	affected := map[string][]string{"ci-0000": {"PRB-1"}, "ci-0001": {"PRB-1"}}
	for b.Loop() {
		if _, err := Plan(PlanFacts{CIs: cis, Affected: affected}); err != nil {
			b.Fatal(err)
		}
	}
}

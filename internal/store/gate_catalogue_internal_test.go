package store

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
)

// reach over the numbered catalogue reaches the CIs a walk by name over
// the graph and the versions' dependencies reaches (below: the code it
// replaced), on any catalogue: names that are no CI, CIs without versions,
// versions naming CIs beyond the graph, cycles.
func TestCatalogueReachAsByName(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 300 {
		c, own := randomCatalogue(rng, 1+n%30)
		c.number()
		got, want := c.reach(own), reachByName(c, own)
		if !maps.EqualFunc(got, want, func(a, b []gate.Component) bool { return len(a) == len(b) && &a[0] == &b[0] }) {
			t.Fatalf("catalogue %d: reach = %v, want %v", n, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
	}
}

func randomCatalogue(rng *rand.Rand, size int) (*catalogue, []gate.Component) {
	name := func() string { return fmt.Sprint("c", rng.IntN(size+size/3+1)) }
	deps := func() []ci.Dependency {
		var out []ci.Dependency
		for range rng.IntN(3) {
			out = append(out, ci.Dependency{CI: name(), Constraint: "^1.0.0"})
		}
		return out
	}
	c := &catalogue{versions: map[string][]gate.Component{}}
	for i := range size {
		x := gate.CI{Name: fmt.Sprint("c", i)}
		for range rng.IntN(3) {
			x.DependsOn = append(x.DependsOn, name())
		}
		c.cis = append(c.cis, x)
		for v := range rng.IntN(3) {
			c.versions[x.Name] = append(c.versions[x.Name], gate.Component{CI: x.Name, Version: fmt.Sprint("1.0.", v), Dependencies: deps()})
		}
	}
	for range rng.IntN(2) { // versions of a CI that is not in the graph
		n := name()
		c.versions[n] = append(c.versions[n], gate.Component{CI: n, Version: "1.0.0", Dependencies: deps()})
	}
	return c, []gate.Component{{CI: name(), Version: "2.0.0", Dependencies: deps()}}
}

func reachByName(c *catalogue, own []gate.Component) map[string][]gate.Component {
	deps := make(map[string][]string, len(c.cis))
	for _, x := range c.cis {
		deps[x.Name] = x.DependsOn
	}
	out := map[string][]gate.Component{}
	seen := map[string]bool{}
	var queue []string
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			queue = append(queue, name)
		}
	}
	for _, x := range own {
		add(x.CI)
		for _, d := range x.Dependencies {
			add(d.CI)
		}
	}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		for _, d := range deps[name] {
			add(d)
		}
		vs := c.versions[name]
		if len(vs) > 0 {
			out[name] = vs
		}
		for _, v := range vs {
			for _, d := range v.Dependencies {
				add(d.CI)
			}
		}
	}
	return out
}

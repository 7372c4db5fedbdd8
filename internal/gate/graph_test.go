package gate

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// The numbered walks must give what the plain walks over maps by name
// give (below: the code they replaced), on any graph: duplicate entries,
// names that are no entry, cycles, roots reached from other roots.
func TestGraphWalksAsByName(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		cis, roots := randomGraph(rng, 1+n%40)
		g := newGraph(cis)
		for _, w := range []struct {
			name     string
			numbered reached
			byName   map[string]string
		}{
			{"dependencies", g.dependencies(roots), dependenciesByName(cis, roots)},
			{"dependents", g.dependents(roots), dependentsByName(cis, roots)},
		} {
			got := map[string]string{}
			for i, r := range w.numbered.root {
				if r >= 0 {
					got[g.names[i]] = g.names[r]
				}
			}
			if !maps.Equal(got, w.byName) || w.numbered.n != len(w.byName) {
				t.Fatalf("graph %d %v, roots %v: %s = %v (%d), want %v", n, cis, roots, w.name, got, w.numbered.n, w.byName)
			}
		}
		if got := Dependencies(cis, roots); !maps.Equal(got, dependenciesByName(cis, roots)) {
			t.Fatalf("Dependencies = %v", got)
		}
	}
}

func randomGraph(rng *rand.Rand, size int) ([]CI, []string) {
	name := func() string { return fmt.Sprint("c", rng.IntN(size+size/4+1)) } // some names are no entry
	var cis []CI
	for range size {
		c := CI{Name: name()}
		for range rng.IntN(4) {
			c.DependsOn = append(c.DependsOn, name())
		}
		cis = append(cis, c)
	}
	var roots []string
	for range 1 + rng.IntN(3) {
		roots = append(roots, name())
	}
	return cis, roots
}

func dependenciesByName(cis []CI, roots []string) map[string]string {
	next := make(map[string][]string, len(cis))
	for _, c := range cis {
		next[c.Name] = c.DependsOn
	}
	out := make(map[string]string, len(cis))
	type item struct{ ci, root string }
	queue := make([]item, 0, len(roots))
	for _, r := range roots {
		queue = append(queue, item{r, r})
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range next[n.ci] {
			if _, seen := out[d]; !seen {
				out[d] = n.root
				queue = append(queue, item{d, n.root})
			}
		}
	}
	for _, r := range roots {
		delete(out, r)
	}
	return out
}

func dependentsByName(cis []CI, roots []string) map[string]string {
	rev := make(map[string][]string, len(cis))
	for _, c := range cis {
		for _, d := range c.DependsOn {
			rev[d] = append(rev[d], c.Name)
		}
	}
	out := make(map[string]string, len(cis))
	queue := make([]string, 0, len(cis))
	for _, r := range roots {
		out[r] = r
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range rev[n] {
			if _, seen := out[d]; !seen {
				out[d] = out[n]
				queue = append(queue, d)
			}
		}
	}
	for _, r := range roots {
		delete(out, r)
	}
	return out
}

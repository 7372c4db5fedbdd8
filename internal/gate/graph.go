package gate

import "slices"

// ciGraph is the CI graph of one evaluation, numbered for its walks (rules
// open_problems and target_health walk it, each from the release's CIs):
// every name the graph mentions, as a CI or as what a CI depends on, gets a
// number, and the edges are lists of numbers, so a walk allocates two
// slices instead of maps keyed by name.
type ciGraph struct {
	index map[string]int32
	names []string
	// next lists what each CI depends on, from its last entry in the
	// graph (as a map by name would keep it); prev what depends on it,
	// from every entry, in graph order.
	next, prev edges
}

// edges are adjacency lists: the neighbours of i are to[off[i]:off[i+1]].
type edges struct{ off, to []int32 }

func (e edges) of(i int32) []int32 { return e.to[e.off[i]:e.off[i+1]] }

// graph returns the evaluation's numbered CI graph, built on first use.
func (in *Input) graph() *ciGraph {
	if in.ciIndex == nil {
		in.ciIndex = newGraph(in.CIs)
	}
	return in.ciIndex
}

func newGraph(cis []CI) *ciGraph {
	g := &ciGraph{index: make(map[string]int32, len(cis)), names: make([]string, 0, len(cis))}
	last := make([]int32, 0, len(cis)) // node → its last entry in cis
	nedges := 0
	for k, c := range cis {
		i := g.id(c.Name)
		for len(last) <= int(i) {
			last = append(last, -1)
		}
		last[i] = int32(k)
		for _, d := range c.DependsOn {
			g.id(d)
		}
		nedges += len(c.DependsOn)
	}
	n := len(g.names)
	g.next = edges{off: make([]int32, n+1), to: make([]int32, 0, nedges)}
	for i := range n {
		if i < len(last) && last[i] >= 0 {
			for _, d := range cis[last[i]].DependsOn {
				g.next.to = append(g.next.to, g.index[d])
			}
		}
		g.next.off[i+1] = int32(len(g.next.to))
	}
	g.prev = edges{off: make([]int32, n+1), to: make([]int32, nedges)}
	for _, c := range cis { // count, then place each in graph order
		for _, d := range c.DependsOn {
			g.prev.off[g.index[d]+1]++
		}
	}
	for i := range n {
		g.prev.off[i+1] += g.prev.off[i]
	}
	at := slices.Clone(g.prev.off[:n])
	for _, c := range cis {
		from := g.index[c.Name]
		for _, d := range c.DependsOn {
			to := g.index[d]
			g.prev.to[at[to]] = from
			at[to]++
		}
	}
	return g
}

// id numbers name, the first time it is seen.
func (g *ciGraph) id(name string) int32 {
	i, ok := g.index[name]
	if !ok {
		i = int32(len(g.names))
		g.index[name] = i
		g.names = append(g.names, name)
	}
	return i
}

// reached is the outcome of a walk: for every CI reached, the root it was
// reached from (-1: not reached). Roots themselves are not reached.
type reached struct {
	g    *ciGraph
	root []int32
	n    int // how many CIs were reached
}

// rootOf returns the root the walk reached name from.
func (r reached) rootOf(name string) (string, bool) {
	i, ok := r.g.index[name]
	if !ok || r.root[i] < 0 {
		return "", false
	}
	return r.g.names[r.root[i]], true
}

// dependencies walks breadth first from roots, in order, to what they
// depend on, directly or not; each CI is mapped to the root that reaches
// it first. A root reached from another root is walked again from that
// root (it is not seen before it is reached). Cycles are harmless.
func (g *ciGraph) dependencies(roots []string) reached {
	r := g.newReached()
	type item struct{ ci, root int32 }
	queue := make([]item, 0, len(g.names))
	for _, name := range roots {
		if i, ok := g.index[name]; ok {
			queue = append(queue, item{i, i})
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range g.next.of(n.ci) {
			if r.root[d] < 0 {
				r.root[d] = n.root
				queue = append(queue, item{d, n.root})
			}
		}
	}
	return r.withoutRoots(roots)
}

// dependents walks breadth first from roots, in order, to what depends on
// them, directly or not; each CI is mapped to the root it reaches (first
// found). Roots count as seen from the start. Cycles are harmless.
func (g *ciGraph) dependents(roots []string) reached {
	r := g.newReached()
	queue := make([]int32, 0, len(g.names))
	for _, name := range roots {
		if i, ok := g.index[name]; ok {
			r.root[i] = i
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range g.prev.of(n) {
			if r.root[d] < 0 {
				r.root[d] = r.root[n]
				queue = append(queue, d)
			}
		}
	}
	return r.withoutRoots(roots)
}

func (g *ciGraph) newReached() reached {
	r := reached{g: g, root: make([]int32, len(g.names))}
	for i := range r.root {
		r.root[i] = -1
	}
	return r
}

// withoutRoots forgets the roots and counts what is left.
func (r reached) withoutRoots(roots []string) reached {
	for _, name := range roots {
		if i, ok := r.g.index[name]; ok {
			r.root[i] = -1
		}
	}
	for _, x := range r.root {
		if x >= 0 {
			r.n++
		}
	}
	return r
}

// Dependencies returns every CI that one of roots depends on, directly or
// not, through cis, mapped to the root that reaches it first (breadth
// first, roots in order): the CIs rule target_health looks at besides the
// release's own. Roots themselves are left out. Cycles are harmless.
func Dependencies(cis []CI, roots []string) map[string]string {
	r := newGraph(cis).dependencies(roots)
	out := make(map[string]string, r.n)
	for i, root := range r.root {
		if root >= 0 {
			out[r.g.names[i]] = r.g.names[root]
		}
	}
	return out
}

package release

import (
	"container/heap"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
)

// PlanCI is one CI of the graph a plan is computed on: its current
// component version ("" when none is registered) and that version's
// dependencies.
type PlanCI struct {
	Name         string
	Version      string
	Dependencies []ci.Dependency
}

// PlanFacts are what Plan decides on: the CI graph and, for each CI the
// resolved problems affect, the ids of those problems.
type PlanFacts struct {
	CIs      []PlanCI
	Affected map[string][]string // CI name → problem ids (PRB-n)
}

// PlanItem is one CI to rebuild and redeploy. DependsOn names the other
// items of the plan it depends on (either kind), which come before it.
type PlanItem struct {
	CI              string   `json:"ci"`
	CurrentVersion  string   `json:"current_version"`
	ProposedVersion string   `json:"proposed_version"`
	Reason          string   `json:"reason"`
	DependsOn       []string `json:"depends_on"`
}

// planNode is a CI with its parsed versions during planning.
type planNode struct {
	PlanCI
	cons []*semver.Constraints // parsed Dependencies[i].Constraint
	next *semver.Version       // proposed version; nil when the CI has no version
	in   bool                  // part of the plan
}

// Plan returns the CIs to rebuild for a fix, dependencies before
// dependants (ties by name). A CI is in the plan when a problem affects
// it, when it embeds a CI of the plan (it carries the old build until
// rebuilt), or when it calls a CI of the plan with a constraint that does
// not admit that CI's proposed version; nothing else is. The proposed
// version is the next patch over the current one ("" when there is none).
// Returns Invalid naming "resolves" for an affected CI outside the graph,
// "versions" or "dependencies" for unparsable facts, and Conflict naming
// the CIs of a dependency cycle among the plan's items (never loops).
func Plan(f PlanFacts) ([]PlanItem, error) {
	nodes, err := planNodes(f.CIs)
	if err != nil {
		return nil, err
	}
	dependants := map[string][]string{} // CI → CIs whose current version depends on it
	for _, n := range nodes {
		for _, d := range n.Dependencies {
			dependants[d.CI] = append(dependants[d.CI], n.Name)
		}
	}
	var queue []string
	for _, name := range sortedKeys(f.Affected) {
		n, ok := nodes[name]
		if !ok {
			return nil, fault.Field("resolves", "affected CI %q is not in the CI graph", name)
		}
		n.in = true
		queue = append(queue, name)
	}
	for len(queue) > 0 { // breadth-first over dependants; each CI enters once
		y := nodes[queue[0]]
		queue = queue[1:]
		for _, x := range dependants[y.Name] {
			if xn := nodes[x]; !xn.in && needsRebuild(xn, y) {
				xn.in = true
				queue = append(queue, x)
			}
		}
	}
	return planOrder(nodes, f.Affected)
}

// planNodes indexes the graph by name and parses versions and constraints
// (each distinct constraint once: graphs repeat them).
func planNodes(cis []PlanCI) (map[string]*planNode, error) {
	nodes := make(map[string]*planNode, len(cis))
	parsed := map[string]*semver.Constraints{}
	for _, c := range cis {
		n := &planNode{PlanCI: c}
		if c.Version != "" {
			v, err := semver.StrictNewVersion(c.Version)
			if err != nil {
				return nil, fault.Field("versions", "%s: %q is not a semantic version", c.Name, c.Version)
			}
			next := v.IncPatch()
			n.next = &next
		}
		for _, d := range c.Dependencies {
			con, ok := parsed[d.Constraint]
			if !ok {
				var err error
				if con, err = semver.NewConstraint(d.Constraint); err != nil {
					return nil, fault.Field("dependencies", "%s: %q is not a semver constraint", c.Name, d.Constraint)
				}
				parsed[d.Constraint] = con
			}
			n.cons = append(n.cons, con)
		}
		nodes[c.Name] = n
	}
	return nodes, nil
}

// needsRebuild reports whether x must be rebuilt because y, of the plan,
// changes: x embeds y, or calls it with a constraint that does not admit
// y's proposed version.
func needsRebuild(x, y *planNode) bool {
	for i, d := range x.Dependencies {
		if d.CI == y.Name && rebuilds(d, x.cons[i], y) {
			return true
		}
	}
	return false
}

// rebuilds reports whether d (a dependency on y, of the plan, with its
// parsed constraint c) makes its dependant rebuild: it embeds y, or calls
// it with a constraint that does not admit y's proposed version (a CI
// without a version gives nothing to judge the constraint on).
func rebuilds(d ci.Dependency, c *semver.Constraints, y *planNode) bool {
	return d.Embedded() || y.next != nil && !c.Check(y.next)
}

// dependencyReason says why d makes its dependant rebuild (see rebuilds),
// or "" when it does not.
func dependencyReason(d ci.Dependency, c *semver.Constraints, y *planNode) string {
	switch {
	case !rebuilds(d, c, y):
		return ""
	case d.Embedded():
		return "embeds " + y.Name
	}
	return "calls " + y.Name + " with constraint " + d.Constraint + " that does not admit " + y.next.String()
}

// planOrder lists the plan's items in dependency order (Kahn's algorithm,
// the ready items taken by name) with their reasons.
func planOrder(nodes map[string]*planNode, affected map[string][]string) ([]PlanItem, error) {
	items := map[string]*PlanItem{}
	waiting := map[string]int{}         // item → dependencies in the plan not yet placed
	dependants := map[string][]string{} // item → items that depend on it
	for _, n := range nodes {
		if n.in {
			items[n.Name] = planItem(n, nodes, affected[n.Name])
		}
	}
	ready := &nameHeap{}
	for name, it := range items {
		waiting[name] = len(it.DependsOn)
		for _, d := range it.DependsOn {
			dependants[d] = append(dependants[d], name)
		}
		if len(it.DependsOn) == 0 {
			heap.Push(ready, name)
		}
	}
	out := make([]PlanItem, 0, len(items))
	for ready.Len() > 0 {
		name := heap.Pop(ready).(string)
		out = append(out, *items[name])
		for _, x := range dependants[name] {
			if waiting[x]--; waiting[x] == 0 {
				heap.Push(ready, x)
			}
		}
	}
	if len(out) < len(items) {
		return nil, cycleError(items, waiting)
	}
	return out, nil
}

// planItem builds n's item: its reasons and its dependencies in the plan.
func planItem(n *planNode, nodes map[string]*planNode, problems []string) *PlanItem {
	it := &PlanItem{CI: n.Name, CurrentVersion: n.Version, DependsOn: []string{}}
	if n.next != nil {
		it.ProposedVersion = n.next.String()
	}
	var reasons []string
	if len(problems) > 0 {
		ps := slices.Clone(problems)
		slices.Sort(ps)
		reasons = append(reasons, "affected by "+strings.Join(slices.Compact(ps), ", "))
	}
	order := make([]int, len(n.Dependencies)) // dependency indexes by CI name
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(n.Dependencies[a].CI, n.Dependencies[b].CI) })
	for _, i := range order {
		d := n.Dependencies[i]
		y, ok := nodes[d.CI]
		if !ok || !y.in || d.CI == n.Name {
			continue
		}
		if !slices.Contains(it.DependsOn, d.CI) {
			it.DependsOn = append(it.DependsOn, d.CI)
		}
		if r := dependencyReason(d, n.cons[i], y); r != "" && !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	it.Reason = strings.Join(reasons, "; ")
	return it
}

// cycleError names one dependency cycle among the items left unplaced:
// each of them still waits on another, so following the first waiting
// dependency (by name) from the first of them must revisit a CI.
func cycleError(items map[string]*PlanItem, waiting map[string]int) error {
	var left []string
	for name, n := range waiting {
		if n > 0 {
			left = append(left, name)
		}
	}
	slices.Sort(left)
	seen := map[string]int{}
	var path []string
	for name := left[0]; ; {
		if i, ok := seen[name]; ok {
			path = append(path[i:], name)
			break
		}
		seen[name] = len(path)
		path = append(path, name)
		for _, d := range items[name].DependsOn { // sorted by name
			if waiting[d] > 0 {
				name = d
				break
			}
		}
	}
	return fault.Conflictf("the CIs to rebuild depend on each other in a cycle: %s; break it before planning", strings.Join(path, " -> "))
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// nameHeap is a min-heap of CI names (container/heap).
type nameHeap []string

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *nameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

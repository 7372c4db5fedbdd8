package gate_test

import (
	"fmt"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
)

// largeInput is a realistic large evaluation: 200 CIs in a dependency graph
// (each depends on up to three older ones), five catalogue versions per CI
// with semver constraints, a release of five top-level components reaching
// most of the graph, 60 open problems and a dozen approvals.
func largeInput() gate.Input {
	in := base()
	const n = 200
	in.CIs = nil
	in.Catalogue = map[string][]gate.Component{}
	name := func(i int) string { return fmt.Sprintf("ci-%03d", i) }
	for i := range n {
		c := gate.CI{Name: name(i), Criticality: []string{"low", "medium", "high"}[i%3]}
		var deps []ci.Dependency
		for _, d := range []int{i - 1, i / 2, i / 3} {
			if d >= 0 && d < i && (len(deps) == 0 || deps[len(deps)-1].CI != name(d)) {
				c.DependsOn = append(c.DependsOn, name(d))
				deps = append(deps, ci.Dependency{CI: name(d), Constraint: "^1.0.0"})
			}
		}
		in.CIs = append(in.CIs, c)
		for v := range 5 {
			in.Catalogue[name(i)] = append(in.Catalogue[name(i)],
				gate.Component{CI: name(i), Version: fmt.Sprintf("1.0.%d", v), Status: "approved", Dependencies: deps})
		}
	}
	in.Release.Components, in.Components = nil, nil
	in.Problems[0].CIs = nil
	for i := n - 5; i < n; i++ {
		c := in.Catalogue[name(i)][4]
		c.Version = "1.0.5"
		in.Components = append(in.Components, c)
		in.Release.Components = append(in.Release.Components, c.Ref())
		in.Problems[0].CIs = append(in.Problems[0].CIs, name(i))
		in.Live[name(i)] = "1.0.4"
	}
	in.OpenProblems = nil
	for i := range 60 {
		in.OpenProblems = append(in.OpenProblems, gate.Problem{ID: fmt.Sprintf("PRB-%d", 100+i), Status: "rca",
			Priority: 3 + i%2, CIs: []string{name(i * 3)}})
	}
	for i := range 12 {
		in.Approvals = append(in.Approvals, approval(fmt.Sprintf("APR-%d", 10+i), "REL-7", int64(1+i%2), fmt.Sprintf("user%d", i), "engineer", "approve"))
	}
	return in
}

func TestLargeInputIsAllowed(t *testing.T) {
	v := gate.Evaluate(mustPolicy(t, benchPolicy), largeInput(), sundayNight)
	if v.Decision != gate.Allowed {
		t.Fatalf("decision = %s:%s", v.Decision, dump(v))
	}
	if r := reasonsOf(v, "component_approval"); r != "pass: all 5 component versions and their 195 transitive dependencies are approved" {
		t.Errorf("component_approval: %s", r)
	}
}

const benchPolicy = `
gate:
  custom:
    - name: small-fixes
      expr: "release.type != 'problem-fix' || size(release.components) <= 10"
      severity: warn
    - name: approvers-known
      expr: "approvals.all(a, a.decision in ['approve', 'reject'])"
`

// BenchmarkEvaluate measures in-process evaluations per second on largeInput.
func BenchmarkEvaluate(b *testing.B) {
	pol := mustPolicy(b, benchPolicy)
	in := largeInput()
	now := sundayNight
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if v := gate.Evaluate(pol, in, now); v.Decision != gate.Allowed {
			b.Fatalf("decision %s", v.Decision)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "evals/s")
}

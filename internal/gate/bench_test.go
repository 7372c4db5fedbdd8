package gate_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
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

// pipelineInput is what bench -case gate-rate asks about (bench/gate.go):
// a problem-fix of ci-000 (1.0.0 live, 1.0.1 shipped) in a graph of 200
// CIs where ci-i depends on ci-(2i+1), ci-(2i+2) and ci-(i+7) with "^1.0.0",
// one approved version each, reaching the whole graph; two peer
// approvals, a change with a canary path, ten open incidents below
// min_severity. Without its approvals it is blocked (the other half of
// the bench's polls).
func pipelineInput() gate.Input {
	in := base()
	const n = 200
	name := func(i int) string { return fmt.Sprintf("ci-%03d", i) }
	in.CIs, in.Catalogue = nil, map[string][]gate.Component{}
	for i := range n {
		c := gate.CI{Name: name(i), Criticality: "medium", DependsOn: []string{}}
		deps := []ci.Dependency{}
		for _, j := range []int{i*2 + 1, i*2 + 2, i + 7} {
			if j < n && (len(c.DependsOn) == 0 || c.DependsOn[len(c.DependsOn)-1] != name(j)) {
				c.DependsOn = append(c.DependsOn, name(j))
				deps = append(deps, ci.Dependency{CI: name(j), Constraint: "^1.0.0"})
			}
		}
		in.CIs = append(in.CIs, c)
		versions := []string{"1.0.0"}
		if i == 0 {
			versions = append(versions, "1.0.1")
		}
		for k, v := range versions {
			in.Catalogue[name(i)] = append(in.Catalogue[name(i)], gate.Component{ID: fmt.Sprintf("CMP-%d", 2*(n-i)+k),
				CI: name(i), Version: v, Status: "approved", Dependencies: deps})
		}
	}
	in.Release = gate.Release{ID: "REL-4", Version: "1.0.1", Type: "problem-fix", Creator: "rm", Components: []string{"ci-000@1.0.1"},
		Resolves: []string{"PRB-1"}, Revision: 1, Documents: []gate.Document{}}
	in.Components = []gate.Component{in.Catalogue[name(0)][1]}
	in.Problems = []gate.Problem{{ID: "PRB-1", Status: "fix_in_progress", Priority: 3, CIs: []string{name(0)}, Environments: []string{},
		RCA: gate.RCA{Category: "code_defect", Author: "eng", ValidatedBy: "pm", ValidatedRole: "problem_manager"}}}
	in.OpenProblems = nil
	in.Live = map[string]string{name(0): "1.0.0"}
	in.Approvals = []gate.Approval{approval("APR-1", "REL-4", 1, "cab", "cab_member", "approve"),
		approval("APR-2", "REL-4", 1, "pm", "problem_manager", "approve")}
	in.Change = &gate.Change{ID: "CHG-1", Type: "normal", Model: "memory-leak-patch", Requester: "rm", Revision: 1, Deviations: []gate.Deviation{}}
	in.Revisions = map[string]int64{"REL-4": 1, "CHG-1": 1}
	in.Environment.Windows, in.Environment.Freezes = nil, nil
	for j := range 10 {
		in.OpenIncidents = append(in.OpenIncidents, gate.Incident{ID: fmt.Sprintf("INC-%d", 100+j), Title: "old", Environment: "prod-eu",
			CI: name((990 + j) % n), Severity: 4, Source: "import", OpenedAt: sundayNight.Add(-time.Hour)})
	}
	return in
}

func TestPipelineInput(t *testing.T) {
	in := pipelineInput()
	if v := gate.Evaluate(policy.Default(), in, sundayNight); v.Decision != gate.Allowed {
		t.Fatalf("decision = %s:%s", v.Decision, dump(v))
	}
	in.Approvals = nil
	if v := gate.Evaluate(policy.Default(), in, sundayNight); v.Decision != gate.Blocked || v.RuleResult(gate.RuleApprovals) != gate.Fail {
		t.Fatalf("without approvals: %s:%s", v.Decision, dump(v))
	}
}

// BenchmarkEvaluate measures in-process evaluations per second on
// largeInput (five versions per CI) and on pipelineInput (the bench's), and
// the CPU of the process per evaluation (garbage collection included: on a
// loaded machine it says more than the time per evaluation).
func BenchmarkEvaluate(b *testing.B) {
	for _, c := range []struct {
		name string
		pol  *policy.Policy
		in   gate.Input
	}{{"large", mustPolicy(b, benchPolicy), largeInput()}, {"pipeline", policy.Default(), pipelineInput()}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start, cpu := time.Now(), processCPU()
			for b.Loop() {
				if v := gate.Evaluate(c.pol, c.in, sundayNight); v.Decision != gate.Allowed {
					b.Fatalf("decision %s", v.Decision)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "evals/s")
			b.ReportMetric(float64((processCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package gate_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

var update = flag.Bool("update", false, "rewrite testdata/golden_verdicts.json")

// goldenCases are large inputs whose whole verdicts (every rule's result,
// reason and records) are kept in testdata/golden_verdicts.json: work on
// the evaluator's speed must leave them byte for byte the same. They walk
// the dependency resolver's failure paths (a revoked version deep in the
// graph, a cycle, an unsatisfiable or invalid constraint, a shipped
// version that does not satisfy a constraint) and the graph walks of rules
// open_problems and target_health.
func goldenCases() map[string]gate.Input {
	edit := func(f func(in *gate.Input)) gate.Input {
		in := pipelineInput()
		f(&in)
		return in
	}
	dep := func(in *gate.Input, ci string, i int, d ci.Dependency) {
		vs := in.Catalogue[ci]
		for k := range vs {
			deps := slices.Clone(vs[k].Dependencies)
			deps[i] = d
			vs[k].Dependencies = deps
		}
	}
	return map[string]gate.Input{
		"base":             base(),
		"large":            largeInput(),
		"pipeline allowed": pipelineInput(),
		"pipeline blocked": edit(func(in *gate.Input) { in.Approvals = nil }),
		"revoked deep":     edit(func(in *gate.Input) { in.Catalogue["ci-150"][0].Status = "revoked" }),
		"cycle":            edit(func(in *gate.Input) { dep(in, "ci-120", 0, ci.Dependency{CI: "ci-003", Constraint: "^1.0.0"}) }),
		"unsatisfiable":    edit(func(in *gate.Input) { dep(in, "ci-010", 0, ci.Dependency{CI: "ci-021", Constraint: "^2.0.0"}) }),
		"invalid constraint": edit(func(in *gate.Input) {
			dep(in, "ci-010", 1, ci.Dependency{CI: "ci-022", Constraint: "not a constraint"})
		}),
		"own does not satisfy": edit(func(in *gate.Input) {
			own := gate.Component{ID: "CMP-999", CI: "ci-001", Version: "2.0.0", Status: "approved", Dependencies: []ci.Dependency{}}
			in.Components = append(in.Components, own)
			in.Release.Components = append(in.Release.Components, own.Ref())
		}),
		"semver downgrade":     edit(func(in *gate.Input) { in.Live["ci-000"] = "1.0.2" }),
		"semver not a version": edit(func(in *gate.Input) { in.Live["ci-000"] = "one" }),
		"unhealthy dependency": edit(func(in *gate.Input) { in.OpenIncidents[3].Severity = 1 }),
		"problem on a dependent": edit(func(in *gate.Input) {
			in.OpenProblems = []gate.Problem{{ID: "PRB-7", Status: "rca", Priority: 1, CIs: []string{"ci-000"}}}
			in.Components = []gate.Component{in.Catalogue["ci-100"][0]}
			in.Components[0].Version = "1.0.1"
			in.Release.Components = []string{"ci-100@1.0.1"}
			in.Problems[0].CIs = []string{"ci-100"}
			in.Live = map[string]string{"ci-100": "1.0.0"}
		}),
	}
}

func TestGoldenVerdicts(t *testing.T) {
	got := map[string]gate.Verdict{}
	for name, in := range goldenCases() {
		pol := policy.Default()
		if name == "large" {
			pol = mustPolicy(t, benchPolicy)
		}
		got[name] = gate.Evaluate(pol, in, sundayNight)
	}
	b, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const file = "testdata/golden_verdicts.json"
	if *update {
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("verdicts differ from %s (go test -run TestGoldenVerdicts -update rewrites it):\n%s", file, firstDiff(string(b), string(want)))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want string) string {
	gl, wl := bytes.Split([]byte(got), []byte("\n")), bytes.Split([]byte(want), []byte("\n"))
	for i := range min(len(gl), len(wl)) {
		if !bytes.Equal(gl[i], wl[i]) {
			return fmt.Sprintf("line %d: got  %s\n         want %s", i+1, gl[i], wl[i])
		}
	}
	return "lengths differ"
}

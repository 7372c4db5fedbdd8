package gate_test

import (
	"slices"
	"strings"
	"testing"

	"fixgate/internal/gate"
)

// TestRule2ResolvedByThisRelease: a problem that this very release
// resolved (its production deployment succeeded: resolved_by_release
// names it) passes while resolved, under the default allowed statuses,
// with a line saying so; the same problem resolved by another release or
// by hand still needs resolved among the allowed statuses, and so does a
// closed one.
func TestRule2ResolvedByThisRelease(t *testing.T) {
	fixed := func(status, by string) func(in *gate.Input) {
		return func(in *gate.Input) { in.Problems[0].Status, in.Problems[0].ResolvedByRelease = status, by }
	}
	runRuleCases(t, []ruleCase{
		{name: "resolved by this release", mutate: fixed("resolved", "REL-7"), rule: "problem_state", result: "pass", decision: "allowed",
			reason: "PRB-3 was resolved by REL-7: rolling the same fix out further"},
		{name: "resolved by another release", mutate: fixed("resolved", "REL-6"), rule: "problem_state", result: "fail", decision: "blocked",
			reason: "PRB-3 is resolved (resolved by REL-6, not by REL-7); a fix deploys only while its problem is fix_in_progress"},
		{name: "resolved by hand", mutate: fixed("resolved", ""), rule: "problem_state", result: "fail", decision: "blocked",
			reason: "PRB-3 is resolved (not by a deployment of REL-7)"},
		{name: "closed after this release resolved it", mutate: fixed("closed", "REL-7"), rule: "problem_state", result: "fail", decision: "blocked",
			reason: "PRB-3 is closed; a fix deploys only"},
		{name: "another release with resolved allowed", policy: "gate: {rules: {problem_state: {allowed_statuses: [fix_in_progress, resolved]}}}",
			mutate: fixed("resolved", "REL-6"), rule: "problem_state", result: "pass", decision: "allowed", reason: "is fix_in_progress or resolved"},
		{name: "one fixed here, one still in progress", mutate: func(in *gate.Input) {
			fixed("resolved", "REL-7")(in)
			second := in.Problems[0]
			second.ID, second.Status, second.ResolvedByRelease = "PRB-4", "fix_in_progress", ""
			in.Problems, in.Release.Resolves = append(in.Problems, second), append(in.Release.Resolves, "PRB-4")
		}, rule: "problem_state", result: "pass", decision: "allowed", reason: "every other problem the release resolves is fix_in_progress"},
		{name: "one fixed here, one by another release", mutate: func(in *gate.Input) {
			second := in.Problems[0]
			second.ID, second.Status, second.ResolvedByRelease = "PRB-4", "resolved", "REL-5"
			fixed("resolved", "REL-7")(in)
			in.Problems, in.Release.Resolves = append(in.Problems, second), append(in.Release.Resolves, "PRB-4")
		}, rule: "problem_state", result: "fail", decision: "blocked", reason: "PRB-4 is resolved (resolved by REL-5, not by REL-7)"},
	})
}

// TestRule2ResolvedByThisReleaseLines: the pass lines name the problem and
// the release, one line per problem this release resolved, then one for
// the rest.
func TestRule2ResolvedByThisReleaseLines(t *testing.T) {
	in := base()
	in.Problems[0].Status, in.Problems[0].ResolvedByRelease = "resolved", "REL-7"
	second := in.Problems[0]
	second.ID, second.Status, second.ResolvedByRelease = "PRB-4", "fix_in_progress", ""
	in.Problems, in.Release.Resolves = append(in.Problems, second), append(in.Release.Resolves, "PRB-4")
	var lines []gate.Result
	for _, r := range gate.Evaluate(mustPolicy(t, ""), in, sundayNight).Rules {
		if r.Rule == "problem_state" {
			lines = append(lines, r)
		}
	}
	if len(lines) != 2 || !slices.Equal(lines[0].Records, []string{"PRB-3", "REL-7"}) || !slices.Equal(lines[1].Records, []string{"PRB-4"}) ||
		!strings.HasPrefix(lines[0].Reason, "PRB-3 was resolved by REL-7") {
		t.Fatalf("problem_state lines %+v", lines)
	}
}

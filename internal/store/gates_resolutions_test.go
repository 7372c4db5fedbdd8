package store_test

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// gateLine returns the reasons of rule's lines in v, joined.
func gateLine(v gate.Verdict, rule string) string {
	var out []string
	for _, r := range v.Rules {
		if r.Rule == rule {
			out = append(out, r.Result+": "+r.Reason)
		}
	}
	return strings.Join(out, " | ")
}

// TestGateResolvedByThisRelease: once REL-1's production deployment
// resolved PRB-1, the gate input names REL-1 as what resolved it
// (problems[].resolved_by_release) and rule 2 lets REL-1 roll out to a
// second production environment under the built-in allowed statuses,
// saying why; REL-2, another fix of PRB-1, is still blocked. A problem
// resolved by hand (a deviation) names no release: the fix is blocked.
func TestGateResolvedByThisRelease(t *testing.T) {
	fixing := func(t *testing.T) (*store.Store, context.Context) {
		s, _ := storetest.Open(t)
		resFixing(t, s)
		ctx := context.Background()
		if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
			t.Fatal(err)
		}
		if err := resMove(s, problem.FixInProgress); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-us", Tier: environment.Production}); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"1.0.1", "1.0.2"} {
			if _, err := s.CreateRelease(ctx, alice, release.Release{Version: v, Type: release.ProblemFix, Resolves: []string{"PRB-1"}}); err != nil {
				t.Fatal(err)
			}
		}
		return s, ctx
	}
	judge := func(t *testing.T, s *store.Store, rel int64) (gate.Problem, string) {
		t.Helper()
		q := store.GateQuery{Release: rel, Env: "prod-us", At: s.Now()}
		in, _, err := s.GateInput(context.Background(), q, policy.Default())
		if err != nil || len(in.Problems) != 1 {
			t.Fatalf("gate input of REL-%d: %+v %v", rel, in.Problems, err)
		}
		v, err := s.DryRunGate(context.Background(), q, policy.Default())
		if err != nil {
			t.Fatal(err)
		}
		return in.Problems[0], gateLine(v, gate.RuleProblemState)
	}

	t.Run("by a deployment", func(t *testing.T) {
		s, _ := fixing(t)
		if p, line := judge(t, s, 1); p.Status != problem.FixInProgress || p.ResolvedByRelease != "" || !strings.HasPrefix(line, "pass: ") {
			t.Fatalf("before: %+v %q", p, line)
		}
		resDeploy(t, s, 1, "REL-1", "prod-eu", deploy.Succeeded)
		p, line := judge(t, s, 1)
		if p.Status != problem.Resolved || p.ResolvedByRelease != "REL-1" || line != "pass: PRB-1 was resolved by REL-1: rolling the same fix out further" {
			t.Fatalf("REL-1 after its production deployment resolved PRB-1: %+v %q", p, line)
		}
		p, line = judge(t, s, 2)
		if p.ResolvedByRelease != "REL-1" || !strings.HasPrefix(line, "fail: PRB-1 is resolved (resolved by REL-1, not by REL-2)") {
			t.Fatalf("REL-2, another fix: %+v %q", p, line)
		}
	})
	t.Run("by hand", func(t *testing.T) {
		s, ctx := fixing(t)
		if _, err := s.ResolveProblem(ctx, resPat, 1, 0, &problem.Deviation{Reason: "config hot-fixed", ApprovedBy: "quinn"}); err != nil {
			t.Fatal(err)
		}
		p, line := judge(t, s, 1)
		if p.Status != problem.Resolved || p.ResolvedByRelease != "" || !strings.HasPrefix(line, "fail: PRB-1 is resolved (not by a deployment of REL-1)") {
			t.Fatalf("after a hand resolution: %+v %q", p, line)
		}
	})
}

package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func TestSavePolicyVersions(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, ok, err := s.CurrentPolicy(ctx); ok || err != nil {
		t.Fatalf("fresh store has no policy: %v %v", ok, err)
	}
	p1, created, err := s.SavePolicy(ctx, alice, "version: 1\n", "sha256:a", 0)
	if err != nil || !created || p1.Version != 1 || p1.CreatedBy != "alice" {
		t.Fatalf("first %+v %v %v", p1, created, err)
	}
	events := auditCount(t, s)
	same, created, err := s.SavePolicy(ctx, alice, "version: 1 # same\n", "sha256:a", 1)
	if err != nil || created || same.Version != 1 || same.YAML != "version: 1\n" || auditCount(t, s) != events {
		t.Fatalf("same hash is not a new version: %+v %v %v", same, created, err)
	}
	if _, _, err := s.SavePolicy(ctx, alice, "version: 2\n", "sha256:b", 7); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale version: %v", err)
	}
	if v, _ := s.PolicyVersion(ctx); v != 1 || auditCount(t, s) != events {
		t.Fatal("a refused save wrote something")
	}
	p2, created, err := s.SavePolicy(ctx, alice, "version: 2\n", "sha256:b", 1)
	if err != nil || !created || p2.Version != 2 || auditCount(t, s) != events+1 {
		t.Fatalf("second %+v %v", p2, err)
	}
	if cur, ok, _ := s.CurrentPolicy(ctx); !ok || cur.Version != 2 || cur.Hash != "sha256:b" {
		t.Fatalf("current %+v", cur)
	}
	if old, err := s.GetPolicy(ctx, 1); err != nil || old.YAML != "version: 1\n" {
		t.Fatalf("version 1 stays readable: %+v %v", old, err)
	}
}

var bob = audit.Actor{User: "bob", Role: "engineer", RequestID: "t"}

// TestGateInput builds a release of checkout-api over a CI graph
// (web → checkout-api → payments-lib) and checks what the gate sees: the
// catalogue reached through dependencies, open problems on dependents but
// not closed ones, the version live per CI, and NotFound for unknown names.
func TestGateInput(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	mustDo(t, func() error {
		_, err := s.CreateCI(ctx, alice, ci.CI{Name: "payments-lib", Kind: "library"})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateCI(ctx, alice, ci.CI{Name: "web", Kind: "service", DependsOn: []string{"checkout-api"}})
		return err
	})
	for _, v := range []ci.Version{{CI: "payments-lib", Version: "2.0.0"}, {CI: "payments-lib", Version: "2.1.0"},
		{CI: "checkout-api", Version: "1.0.0"},
		{CI: "checkout-api", Version: "1.0.1", Dependencies: []ci.Dependency{{CI: "payments-lib", Constraint: "^2.0.0"}}}} {
		mustDo(t, func() error { _, err := s.CreateComponent(ctx, alice, v); return err })
	}
	open, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "web slow", Priority: 1, CIs: []string{"web"}}, nil)
	mustDo(t, func() error { return err })
	closed, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "old", Priority: 1, Environments: []string{"prod-eu"}}, nil)
	mustDo(t, func() error { return err })
	_, err = s.UpdateProblem(ctx, alice, 2, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.Canceled, "alice", c.Now, 0)
	})
	mustDo(t, func() error { return err })
	old, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{"checkout-api@1.0.0"}})
	mustDo(t, func() error { return err })
	d := engDeploy(t, s, old.ID, "prod-eu", deploy.Succeeded) // DEP-1: 1.0.0 live in prod-eu
	fix, err := s.CreateRelease(ctx, bob, release.Release{Version: "1.0.1", Type: release.Feature, Components: []string{"checkout-api@1.0.1"}})
	mustDo(t, func() error { return err })

	in, revs, err := s.GateInput(ctx, store.GateQuery{Release: 2, Env: "prod-eu", At: clock.Now().Add(time.Hour)}, policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	if in.Release.ID != fix.ID || in.Release.Creator != "bob" || len(in.Components) != 1 || in.Live["checkout-api"] != "1.0.0" {
		t.Fatalf("release %+v live %v (deployment %s)", in.Release, in.Live, d.ID)
	}
	if got := in.Catalogue["payments-lib"]; len(got) != 2 {
		t.Fatalf("catalogue %v", in.Catalogue)
	}
	var openIDs []string
	for _, p := range in.OpenProblems {
		openIDs = append(openIDs, p.ID)
	}
	if !slices.Equal(openIDs, []string{open.ID}) || slices.Contains(openIDs, closed.ID) {
		t.Fatalf("open problems %v", openIDs)
	}
	if len(in.CIs) != 3 || revs[fix.ID] != 1 || revs["env:prod-eu"] != 1 || len(in.Path) != 1 || in.Path[0].Weight != 100 {
		t.Fatalf("graph %v revs %v path %v", in.CIs, revs, in.Path)
	}
	v := gate.Evaluate(policy.Default(), in, clock.Now())
	if v.RuleResult(gate.RuleOpenProblems) != gate.Fail {
		t.Fatalf("the P1 problem on web, which depends on checkout-api, blocks: %+v", v.Rules)
	}
	// before the deployment finished nothing was live
	if in, _, _ := s.GateInput(ctx, store.GateQuery{Release: 2, Env: "prod-eu", At: clock.Now().Add(-time.Hour)}, policy.Default()); len(in.Live) != 0 {
		t.Fatalf("live before: %v", in.Live)
	}
	if _, _, err := s.GateInput(ctx, store.GateQuery{Release: 9, Env: "prod-eu", At: clock.Now()}, policy.Default()); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown release: %v", err)
	}
	if _, _, err := s.GateInput(ctx, store.GateQuery{Release: 2, Env: "moon", At: clock.Now()}, policy.Default()); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown env: %v", err)
	}

	before := auditCount(t, s) // GATE-1 is DEP-1's start
	ev, err := s.CreateGateEvaluation(ctx, bob, store.GateEvaluation{Release: fix.ID, Environment: "prod-eu", At: *in.At, Verdict: v,
		InputRevisions: revs, PolicyHash: v.PolicyHash})
	if err != nil || ev.ID != "GATE-2" || ev.Decision != gate.Blocked || auditCount(t, s) != before+1 {
		t.Fatalf("evaluation %+v %v", ev, err)
	}
	if _, err := s.CreateGateEvaluation(ctx, bob, store.GateEvaluation{Release: "REL-9", Environment: "prod-eu", Verdict: v}); fault.CodeOf(err) != fault.NotFound || auditCount(t, s) != before+1 {
		t.Fatalf("unknown release evaluation: %v", err)
	}
	got, err := s.GetGateEvaluation(ctx, 2)
	if err != nil || got.Verdict.Decision != gate.Blocked || got.InputRevisions[fix.ID] != 1 || !got.At.Equal(*in.At) {
		t.Fatalf("get %+v %v", got, err)
	}
	l, err := s.ListGateEvaluations(ctx, store.GateEvaluationFilter{Release: 2, Decision: gate.Blocked})
	if err != nil || len(l) != 1 {
		t.Fatalf("list %v %v", l, err)
	}
}

func mustDo(t *testing.T, f func() error) {
	t.Helper()
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

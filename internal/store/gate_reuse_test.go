package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestGateSnapshotReuse: an unchanged input is reused by requests about
// "now"; any write the gate reads, made through this store or another one
// on the same database (another replica), makes the next request gather
// again and see it; writes the gate never reads (evaluations, incidents)
// keep the snapshot; a request with its own time never reuses.
func TestGateSnapshotReuse(t *testing.T) {
	dsn := storetest.DSN(t)
	clock := &storetest.Clock{T: storetest.Start}
	ctx := context.Background()
	s, replica := openReplica(t, dsn, clock), openReplica(t, dsn, clock)
	seed(t, s)
	rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature})
	mustDo(t, func() error { return err })
	pol := policy.Default()
	q := func() store.GateQuery {
		return store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now(), Reuse: true}
	}
	snap := func() *store.GateSnapshot {
		t.Helper()
		sn, err := s.GateSnapshot(ctx, q(), pol)
		if err != nil {
			t.Fatal(err)
		}
		return sn
	}
	first := snap()
	clock.Advance(time.Minute)
	if again := snap(); again != first {
		t.Fatal("an unchanged input was gathered again")
	}
	v := gate.Evaluate(pol, first.Input, clock.Now())
	_, err = s.CreateGateEvaluation(ctx, bob, store.GateEvaluation{Release: rel.ID, Environment: "prod-eu", At: clock.Now(), Verdict: v,
		InputRevisions: first.Revisions})
	mustDo(t, func() error { return err })
	_, err = replica.CreateIncident(ctx, alice, incident.Incident{Title: "blip", CI: "checkout-api", Env: "prod-eu", Severity: 3})
	mustDo(t, func() error { return err })
	if again := snap(); again != first {
		t.Fatal("an evaluation or an incident (not gate input) invalidated the snapshot")
	}
	// another replica opens a P1 problem on the environment
	p, err := replica.CreateProblem(ctx, alice, problem.Problem{Title: "p1", Priority: 1, Environments: []string{"prod-eu"}}, nil)
	mustDo(t, func() error { return err })
	fresh := snap()
	if fresh == first || fresh.DataVersion <= first.DataVersion || len(fresh.Input.OpenProblems) != 1 || fresh.Input.OpenProblems[0].ID != p.ID {
		t.Fatalf("after another replica's write: reused=%v open problems %v", fresh == first, fresh.Input.OpenProblems)
	}
	if gate.Evaluate(pol, fresh.Input, clock.Now()).RuleResult(gate.RuleOpenProblems) != gate.Fail {
		t.Fatal("the new open P1 problem does not block")
	}
	own := q()
	own.Reuse = false
	if sn, err := s.GateSnapshot(ctx, own, pol); err != nil || sn == fresh {
		t.Fatalf("a request with its own time reused a snapshot: %v", err)
	}
	other := mustPolicy(t, "gate:\n  rules:\n    canary:\n      enabled: false\n")
	if sn, err := s.GateSnapshot(ctx, q(), other); err != nil || sn == fresh {
		t.Fatalf("another policy reused the snapshot: %v", err)
	}
}

// TestGateSnapshotExpiresWhenADeploymentFinishes: a succeeded deployment
// recorded with a finish after the request's time (a replica's clock ahead,
// an import) changes what is live without a later write: the snapshot is
// not reused beyond that finish.
func TestGateSnapshotExpiresWhenADeploymentFinishes(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	mustDo(t, func() error {
		_, err := s.CreateComponent(ctx, alice, ciVersion("checkout-api", "1.0.0"))
		return err
	})
	old, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{"checkout-api@1.0.0"}})
	mustDo(t, func() error { return err })
	_, err = s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: release.Feature})
	mustDo(t, func() error { return err })
	start := clock.Now()
	clock.Advance(time.Hour) // the deployment is recorded by a clock an hour ahead
	_, err = s.CreateDeployment(ctx, alice, deploy.Deployment{Release: old.ID, Env: "prod-eu"})
	mustDo(t, func() error { return err })
	for _, to := range []string{deploy.Running, deploy.Succeeded} {
		_, err = s.MoveDeployment(ctx, alice, 1, 0, to, "")
		mustDo(t, func() error { return err })
	}
	clock.T = start
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: start, Reuse: true}
	before, err := s.GateSnapshot(ctx, q, pol)
	if err != nil || len(before.Input.Live) != 0 {
		t.Fatalf("live before the finish: %v %v", before.Input.Live, err)
	}
	q.At = start.Add(30 * time.Minute)
	if sn, _ := s.GateSnapshot(ctx, q, pol); sn != before {
		t.Fatal("reuse before the finish expected")
	}
	q.At = start.Add(2 * time.Hour)
	after, err := s.GateSnapshot(ctx, q, pol)
	if err != nil || after == before || after.Input.Live["checkout-api"] != "1.0.0" {
		t.Fatalf("after the finish: reused=%v live %v %v", after == before, after.Input.Live, err)
	}
}

func ciVersion(name, version string) ci.Version { return ci.Version{CI: name, Version: version} }

func mustPolicy(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

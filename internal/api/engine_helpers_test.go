package api

import (
	"context"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// The rollout engine is not running in these tests: a deployment that
// must run, succeed or roll back goes through the store's audited steps in
// the order the engine takes them (internal/engine): StartDeployment
// through the gate, then BeginAction/FinishAction for the driver,
// AdvanceRollout, SucceedDeployment, DecideRollback and FinishRollback.

var (
	testPipe   = audit.Actor{User: "bot", Role: "pipeline", RequestID: "test"}
	testEngine = audit.Actor{User: "fixgate-engine", Role: "system", RequestID: "engine"}
)

// startOpen starts r through the gate under storetest.OpenPolicy (every
// rule off, drivers shell and pipe, prod-eu driven by shell) and fails the
// test unless the gate allowed it: the deployment is running at stage 0
// with its deploy action (seq 1) queued.
func (ta *testAPI) startOpen(r store.StartRequest) (deploy.Deployment, int64) {
	ta.t.Helper()
	d, ev, err := ta.store.StartDeployment(context.Background(), testPipe, r, storetest.OpenPolicy(), 0)
	if err != nil || ev.Decision != gate.Allowed || d.Status != deploy.Running {
		ta.t.Fatalf("start %+v under the open policy: %+v %+v %v", r, d, ev.Verdict, err)
	}
	id, _ := ident.Deployment.Parse("id", d.ID)
	return d, id
}

// engineRun runs action seq of deployment id as its driver would: begin,
// then finish (failure "" succeeds).
func (ta *testAPI) engineRun(id, seq int64, failure string) {
	ta.t.Helper()
	ctx := context.Background()
	if _, err := ta.store.BeginAction(ctx, testEngine, id, seq); err != nil {
		ta.t.Fatalf("begin action %d of DEP-%d: %v", seq, id, err)
	}
	if _, err := ta.store.FinishAction(ctx, testEngine, id, seq, failure, "driver output"); err != nil {
		ta.t.Fatalf("finish action %d of DEP-%d: %v", seq, id, err)
	}
}

// engineDeploy deploys rel into env (one stage, driver shell) through the
// gate under the open policy and the engine's store steps to end:
// succeeded (watched for an hour) or rolled_back. It returns the id.
func (ta *testAPI) engineDeploy(rel, env, end string) string {
	ta.t.Helper()
	ctx := context.Background()
	d, id := ta.startOpen(store.StartRequest{Release: rel, Env: env, Driver: "shell",
		Stages: []deploy.Stage{{Name: "full", Weight: 100}}})
	ta.engineRun(id, 1, "")
	var err error
	switch end {
	case deploy.Succeeded:
		d, err = ta.store.SucceedDeployment(ctx, testEngine, id, 0, ta.store.Now().Add(time.Hour))
	case deploy.RolledBack:
		if _, err = ta.store.DecideRollback(ctx, testEngine, id, 0, "test", ta.store.Now()); err == nil {
			ta.engineRun(id, 2, "")
			d, err = ta.store.FinishRollback(ctx, testEngine, id, 0)
		}
	default:
		ta.t.Fatalf("engineDeploy: end %q", end)
	}
	if err != nil || d.Status != end {
		ta.t.Fatalf("%s into %s to %s: %+v %v", rel, env, end, d, err)
	}
	return d.ID
}

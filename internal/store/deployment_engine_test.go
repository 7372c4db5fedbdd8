package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
)

// engStart starts rel into env under pol and fails the test on an error.
func engStart(t *testing.T, s *store.Store, pol *policy.Policy, r store.StartRequest) (deploy.Deployment, store.GateEvaluation) {
	t.Helper()
	d, ev, err := s.StartDeployment(context.Background(), depPipe, r, pol, 0)
	if err != nil {
		t.Fatalf("start %+v: %v", r, err)
	}
	return d, ev
}

// engRun runs action seq of deployment id as a driver would: begin, then
// finish with failure ("" succeeds).
func engRun(t *testing.T, s *store.Store, id, seq int64, failure string) store.DeploymentAction {
	t.Helper()
	ctx := context.Background()
	if _, err := s.BeginAction(ctx, depPipe, id, seq); err != nil {
		t.Fatalf("begin %d/%d: %v", id, seq, err)
	}
	a, err := s.FinishAction(ctx, depPipe, id, seq, failure, "driver output")
	if err != nil {
		t.Fatalf("finish %d/%d: %v", id, seq, err)
	}
	return a
}

// engDeploy starts rel into env under the open policy (one stage, driver
// shell), runs its deploy action and takes it to end (engEnd).
func engDeploy(t *testing.T, s *store.Store, rel, env, end string) deploy.Deployment {
	t.Helper()
	return engEnd(t, s, engRunning(t, s, rel, env), end)
}

// engRunning starts rel into env under the open policy (one stage, driver
// shell) and runs its deploy action: running at its last stage, ready to end.
func engRunning(t *testing.T, s *store.Store, rel, env string) int64 {
	t.Helper()
	d, ev := engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: rel, Env: env, Driver: "shell"})
	if ev.Decision != gate.Allowed {
		t.Fatalf("open policy blocked: %+v", ev.Verdict)
	}
	id := depNum(t, d.ID)
	engRun(t, s, id, 1, "")
	return id
}

// engEnd takes running deployment id (at its last stage, action 1 done)
// through the engine's store steps to end at the store's clock: succeeded
// (watched for an hour), rolled_back (cause "test"), aborted, or failed
// (a pipeline's hand move, which the engine does not own).
func engEnd(t *testing.T, s *store.Store, id int64, end string) deploy.Deployment {
	t.Helper()
	ctx := context.Background()
	var d deploy.Deployment
	var err error
	switch end {
	case deploy.Succeeded:
		d, err = s.SucceedDeployment(ctx, depPipe, id, 0, s.Now().Add(time.Hour))
	case deploy.RolledBack:
		if _, err = s.DecideRollback(ctx, depPipe, id, 0, "test", s.Now()); err == nil {
			engRun(t, s, id, 2, "")
			d, err = s.FinishRollback(ctx, depPipe, id, 0)
		}
	case deploy.Aborted:
		d, err = s.AbortDeployment(ctx, depPipe, id, "test")
	case deploy.Failed:
		d, err = s.MoveDeployment(ctx, depPipe, id, 0, deploy.Failed, "test")
	default:
		t.Fatalf("engEnd: no way to end in %q", end)
	}
	if err != nil || d.Status != end {
		t.Fatalf("DEP-%d to %s: %+v %v", id, end, d, err)
	}
	return d
}

func depNum(t *testing.T, id string) int64 {
	t.Helper()
	var n int64
	for _, c := range id[len("DEP-"):] {
		n = n*10 + int64(c-'0')
	}
	return n
}

// approveRel approves release id by bob's approval.
func approveRel(t *testing.T, s *store.Store, id int64, ref string, by ...audit.Actor) {
	t.Helper()
	ctx := context.Background()
	approver := bob
	if len(by) > 0 {
		approver = by[0]
	}
	if _, err := s.CreateApproval(ctx, approver, approval.Approval{Record: ref, Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateRelease(ctx, alice, id, 0, "release.move", func(r *release.Release) error { return r.Move(release.Approved) }); err != nil {
		t.Fatal(err)
	}
}

func TestStartDeploymentObeysTheGate(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	approveRel(t, s, 1, "REL-1")
	open := storetest.OpenPolicy()
	// bad input: a clear error, nothing written (not even a gate evaluation)
	n0 := depAuditCount(t, s)
	for field, r := range map[string]store.StartRequest{
		"driver":  {Release: "REL-1", Env: "prod-eu", Driver: "ssh"},
		"path":    {Release: "REL-1", Env: "prod-eu", Path: "nope"},
		"env":     {Release: "REL-1", Env: "nowhere", Driver: "reported"},
		"release": {Release: "REL-9", Env: "prod-eu"},
	} {
		if _, _, err := s.StartDeployment(ctx, depPipe, r, open, 0); fault.As(err) == nil || fault.As(err).Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if n := depAuditCount(t, s); n != n0 {
		t.Fatalf("refused starts wrote %d audit events", n-n0)
	}
	// blocked by the built-in policy: recorded, pointing at the evaluation, no action
	d, ev := engStart(t, s, policy.Default(), store.StartRequest{Release: "REL-1", Env: "prod-eu", Driver: "reported"})
	if ev.Decision != gate.Blocked || d.Status != deploy.Blocked || d.Gate != ev.ID || d.NextStepAt != nil || d.StartedAt != nil {
		t.Fatalf("blocked start: %+v %+v", d, ev)
	}
	if acts, _ := s.ListDeploymentActions(ctx, 1); len(acts) != 0 {
		t.Fatalf("blocked start queued %+v", acts)
	}
	if r, _ := s.GetRelease(ctx, 1); r.Status != release.Approved {
		t.Fatalf("blocked start moved the release to %s", r.Status)
	}
	// allowed: running at stage 0, the deploy action queued, the release deploying
	d, ev = engStart(t, s, open, store.StartRequest{Release: "REL-1", Env: "prod-eu",
		Stages: []deploy.Stage{{Name: "canary", Weight: 10, Duration: policy.Duration(time.Minute)}, {Name: "full", Weight: 100}}})
	if ev.Decision != gate.Allowed || d.Status != deploy.Running || d.Gate != ev.ID || d.Driver != "shell" || d.NextStepAt == nil ||
		d.CurrentStage != 0 || time.Duration(d.Path[0].Duration) != time.Minute {
		t.Fatalf("allowed start: %+v %+v", d, ev)
	}
	acts, _ := s.ListDeploymentActions(ctx, 2)
	if len(acts) != 1 || acts[0].Kind != driver.Deploy || acts[0].Status != rollout.ActionPending || acts[0].Key != "DEP-2/1/deploy" || acts[0].Weight != 10 {
		t.Fatalf("actions %+v", acts)
	}
	if r, _ := s.GetRelease(ctx, 1); r.Status != release.Deploying {
		t.Fatalf("release %s, want deploying", r.Status)
	}
	if _, _, err := s.StartDeployment(ctx, depPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu"}, open, 0); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("second start while running: %v", err)
	}
}

func TestRolloutStoreStepsAndRollbackConsequences(t *testing.T) {
	s, clock := storetest.Open(t)
	resFixing(t, s)
	ctx := context.Background()
	if _, _, err := s.ValidateRCA(ctx, resQuinn, 1, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := resMove(s, problem.FixInProgress); err != nil {
		t.Fatal(err)
	}
	mustWebhook(t, s, webhook.Subscription{URL: "https://hooks.example.com/all", Events: []string{"*"}, Active: true})
	depNewRelease(t, s, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"}})
	approveRel(t, s, 1, "REL-1", resQuinn)
	d, _ := engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: "REL-1", Env: "prod-eu"})
	engRun(t, s, 1, 1, "")
	if _, err := s.BeginAction(ctx, depPipe, 1, 1); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("a succeeded action ran again: %v", err)
	}
	clock.Advance(time.Second)
	d, err := s.SucceedDeployment(ctx, depPipe, 1, 0, clock.T.Add(time.Hour))
	if err != nil || d.Status != deploy.Succeeded || d.FinishedAt == nil || !d.WatchUntil.Equal(clock.T.Add(time.Hour)) {
		t.Fatalf("succeed: %+v %v", d, err)
	}
	if r, _ := s.GetRelease(ctx, 1); r.Status != release.Deployed {
		t.Fatalf("release %s after success in production", r.Status)
	}
	if p := sigProblem(t, s); p.Status != problem.Resolved {
		t.Fatalf("problem %s after the fix succeeded in production", p.Status)
	}
	// a recurrence in the watch: rollback decided, the driver fails twice, then restores
	evidence := clock.T.Add(500 * time.Millisecond)
	clock.Advance(time.Second)
	if err := s.RecordMeasurement(ctx, depPipe, analysisFailedRecurrence(d.ID, evidence)); err != nil {
		t.Fatal(err)
	}
	d, err = s.DecideRollback(ctx, depPipe, 1, d.Revision, "check watch/recurrence failed", evidence)
	if err != nil || d.Status != deploy.RollingBack || !d.FirstFailureAt.Equal(evidence) || !d.RollbackDecidedAt.Equal(clock.T) {
		t.Fatalf("decide: %+v %v", d, err)
	}
	if a := engRun(t, s, 1, 2, "exit status 1"); a.Status != rollout.ActionFailed || !a.NextAttemptAt.Equal(clock.T.Add(time.Second)) {
		t.Fatalf("failed rollback: %+v", a)
	}
	if a := engRun(t, s, 1, 2, "exit status 1"); a.Attempts != 2 || !a.NextAttemptAt.Equal(clock.T.Add(2*time.Second)) {
		t.Fatalf("failed again: %+v", a)
	}
	if n := len(sigOutbox(t, s, store.EventDeploymentRollbackFailed)); n != 1 {
		t.Fatalf("rollback_failed announced %d times, want once", n)
	}
	if got, _ := s.GetDeployment(ctx, 1); got.Status != deploy.RollingBack {
		t.Fatalf("after failed rollbacks: %s", got.Status)
	}
	engRun(t, s, 1, 2, "")
	d, err = s.FinishRollback(ctx, depPipe, 1, 0)
	if err != nil || d.Status != deploy.RolledBack || d.RollbackDoneAt == nil {
		t.Fatalf("finish rollback: %+v %v", d, err)
	}
	if r, _ := s.GetRelease(ctx, 1); r.Status != release.RolledBack {
		t.Fatalf("release %s after rollback", r.Status)
	}
	if p := sigProblem(t, s); p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem after a recurrence rollback: %s, %d recurrences", p.Status, p.RecurrenceCount)
	}
	if len(sigOutbox(t, s, store.EventDeploymentRolledBack)) != 1 || len(sigOutbox(t, s, store.EventProblemRecurred)) != 1 {
		t.Fatal("deployment.rolled_back or problem.recurred not enqueued")
	}
	if _, err := s.PromoteDeployment(ctx, depPipe, 1, ""); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("promote a rolled back deployment: %v", err)
	}
	depAuditCount(t, s)
}

// TestClaimDeploymentOneWinner: two holders claim the same deployment at
// once, 20 rounds: exactly one wins each time.
func TestClaimDeploymentOneWinner(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: "REL-1", Env: "prod-eu"})
	ctx := context.Background()
	for round := range 20 {
		var wg sync.WaitGroup
		won := make([]bool, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, err := s.ClaimDeployment(ctx, 1, []string{"a", "b"}[i], time.Minute)
				if err != nil {
					t.Error(err)
				}
				won[i] = ok
			}()
		}
		wg.Wait()
		if won[0] == won[1] {
			t.Fatalf("round %d: winners %v", round, won)
		}
		if due, _ := s.DueDeployments(ctx, clock.T, 10); len(due) != 0 {
			t.Fatalf("a leased deployment is due: %v", due)
		}
		winner := map[bool]string{true: "a", false: "b"}[won[0]]
		if err := s.ReleaseDeployment(ctx, 1, winner, 1, &clock.T); err != nil {
			t.Fatal(err)
		}
	}
}

// TestResumeAfterADeadHolder: an action left running by a holder whose
// lease expired is run again (same key); a succeeded one never is.
func TestResumeAfterADeadHolder(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: "REL-1", Env: "prod-eu",
		Stages: []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}})
	if ok, _ := s.ClaimDeployment(ctx, 1, "dead", 5*time.Second); !ok {
		t.Fatal("claim")
	}
	if _, err := s.BeginAction(ctx, depPipe, 1, 1); err != nil {
		t.Fatal(err)
	}
	// the holder dies; its lease expires
	if ok, _ := s.ClaimDeployment(ctx, 1, "next", 5*time.Second); ok {
		t.Fatal("claimed a live lease")
	}
	clock.Advance(6 * time.Second)
	if due, _ := s.DueDeployments(ctx, clock.T, 10); len(due) != 1 || due[0] != 1 {
		t.Fatalf("due after the lease expired: %v", due)
	}
	if ok, _ := s.ClaimDeployment(ctx, 1, "next", 5*time.Second); !ok {
		t.Fatal("claim after expiry")
	}
	ro, err := s.LoadRollout(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	dec := rollout.Next(rollout.Facts{Deployment: ro.Deployment, Action: &ro.Latest.Action}, clock.T)
	if dec.Kind != rollout.RunAction || dec.Action.Seq != 1 {
		t.Fatalf("resume decided %+v", dec)
	}
	a := engRun(t, s, 1, 1, "")
	if a.Attempts != 2 || a.Key != "DEP-1/1/deploy" {
		t.Fatalf("re-run: %+v", a)
	}
	ro, _ = s.LoadRollout(ctx, 1)
	dec = rollout.Next(rollout.Facts{Deployment: ro.Deployment, Action: &ro.Latest.Action}, clock.T)
	if dec.Kind != rollout.AwaitPromote {
		t.Fatalf("after the action: %+v", dec)
	}
}

func analysisFailedRecurrence(dep string, at time.Time) analysis.Measurement {
	return analysis.Measurement{Deployment: dep, Stage: "full", Template: "watch", Check: "recurrence", Kind: "recurrence",
		At: at, Value: []byte(`{"matches":1}`), Outcome: analysis.Failed, Records: []string{"signal 1"}}
}

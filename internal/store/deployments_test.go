package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var depPipe = audit.Actor{User: "alice", Role: "pipeline", RequestID: "t"}

// depAuditCount returns the number of audit events (the chain must be intact).
func depAuditCount(t *testing.T, s *store.Store) int64 {
	t.Helper()
	n, broken, err := s.VerifyAudit(context.Background())
	if err != nil || broken != nil {
		t.Fatalf("verify audit: %v %v", err, broken)
	}
	return n
}

func depEvents(t *testing.T, s *store.Store, id int64) []deploy.Event {
	t.Helper()
	evs, err := s.ListDeploymentEvents(context.Background(), id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func depNewRelease(t *testing.T, s *store.Store, r release.Release) release.Release {
	t.Helper()
	out, err := s.CreateRelease(context.Background(), alice, r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var depCanaryPath = []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "half", Weight: 50}, {Name: "full", Weight: 100}}

// TestDeploymentLifecycleAndStages: a created deployment is pending and
// moves by hand only where the rollout engine has no say (blocked, pending,
// aborted, failed); the engine's states are refused naming the command to
// use, writing nothing. A started one runs through its stages by the
// engine's store steps (deploy, promote ×2, succeed), each logged and audited.
func TestDeploymentLifecycleAndStages(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.2.0", Type: release.Feature})
	d, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "rel-1", Env: "prod-eu", Path: depCanaryPath})
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "DEP-1" || d.Release != "REL-1" || d.Status != deploy.Pending || d.Revision != 1 || d.CurrentStage != 0 || d.StartedAt != nil {
		t.Fatalf("created %+v", d)
	}
	// refused: the engine's states by hand (naming the command), advancing, a stale revision, an unknown state
	n0, ev0 := depAuditCount(t, s), len(depEvents(t, s, 1))
	for to, cmd := range map[string]string{deploy.Running: "deploy start", deploy.Succeeded: "rollout engine",
		deploy.Paused: "rollout engine", deploy.RollingBack: "deploy rollback", deploy.RolledBack: "deploy rollback"} {
		_, err := s.MoveDeployment(ctx, depPipe, 1, 0, to, "")
		if fe := fault.As(err); fe == nil || fe.Code != fault.Conflict || fe.Field != "to" || !strings.Contains(fe.Message, cmd) {
			t.Errorf("hand move pending → %s: %v, want Conflict naming %q", to, err, cmd)
		}
	}
	if _, err := s.AdvanceDeployment(ctx, depPipe, 1, 0, ""); fault.CodeOf(err) != fault.Conflict || !strings.Contains(err.Error(), "deploy promote") {
		t.Fatalf("hand advance: %v", err)
	}
	if _, err := s.MoveDeployment(ctx, depPipe, 1, 7, deploy.Blocked, ""); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale revision: %v", err)
	}
	if _, err := s.MoveDeployment(ctx, depPipe, 1, 0, "bogus", ""); fault.As(err) == nil || fault.As(err).Field != "status" {
		t.Fatalf("unknown state: %v", err)
	}
	if _, err := s.MoveDeployment(ctx, depPipe, 1, 0, deploy.Failed, ""); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("pending → failed: %v", err)
	}
	if n := depAuditCount(t, s); n != n0 || len(depEvents(t, s, 1)) != ev0 {
		t.Fatalf("refused moves wrote %d audit events", n-n0)
	}
	// the hand moves the engine does not own
	for i, to := range []string{deploy.Blocked, deploy.Pending, deploy.Aborted} {
		clock.Advance(time.Minute)
		d, err = s.MoveDeployment(ctx, depPipe, 1, int64(i+1), to, "window closed")
		if err != nil || d.Status != to || d.Revision != int64(i+2) || d.StartedAt != nil {
			t.Fatalf("pending → %s: %+v %v", to, d, err)
		}
	}
	if d.FinishedAt == nil || !d.FinishedAt.Equal(clock.T) {
		t.Fatalf("aborted: %+v", d)
	}
	if evs := depEvents(t, s, 1); len(evs) != ev0+3 || evs[ev0].Message != "pending → blocked: window closed" || evs[ev0].Actor != "alice" {
		t.Fatalf("hand move events %+v", evs)
	}
	for _, to := range deploy.Machine.States() {
		if _, err := s.MoveDeployment(ctx, depPipe, 1, 0, to, ""); fault.CodeOf(err) != fault.Conflict {
			t.Fatalf("aborted → %s: %v", to, err)
		}
	}

	// DEP-2 through the gate: running at canary from the start
	clock.Advance(time.Minute)
	n1 := depAuditCount(t, s)
	d, _ = engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: "REL-1", Env: "prod-eu", Stages: depCanaryPath})
	if d.ID != "DEP-2" || d.Status != deploy.Running || d.StartedAt == nil || !d.StartedAt.Equal(clock.T) || d.Revision != 1 || d.Stage().Name != "canary" {
		t.Fatalf("start: %+v", d)
	}
	if _, err := s.SucceedDeployment(ctx, depPipe, 2, 0, clock.T); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("succeed at canary: %v", err)
	}
	engRun(t, s, 2, 1, "") // deploy canary
	for i, want := range []string{"half", "full"} {
		d, err = s.AdvanceRollout(ctx, depPipe, 2, 0, d.Gate)
		if err != nil || d.CurrentStage != i+1 || d.Stage().Name != want {
			t.Fatalf("advance %d: %+v %v", i, d, err)
		}
		engRun(t, s, 2, int64(i+2), "") // promote
	}
	n2, ev2 := depAuditCount(t, s), len(depEvents(t, s, 2))
	if _, err := s.AdvanceRollout(ctx, depPipe, 2, 0, d.Gate); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("advance past the last stage: %v", err)
	}
	if n := depAuditCount(t, s); n != n2 || len(depEvents(t, s, 2)) != ev2 {
		t.Fatalf("refused advance wrote %d audit events", n-n2)
	}
	clock.Advance(time.Hour)
	d, err = s.SucceedDeployment(ctx, depPipe, 2, 0, clock.T.Add(time.Hour))
	if err != nil || d.Status != deploy.Succeeded || d.FinishedAt == nil || !d.FinishedAt.Equal(clock.T) {
		t.Fatalf("succeed: %+v %v", d, err)
	}
	for _, to := range deploy.Machine.States() {
		if _, err := s.MoveDeployment(ctx, depPipe, 2, 0, to, ""); fault.CodeOf(err) != fault.Conflict {
			t.Fatalf("succeeded → %s by hand: %v", to, err)
		}
	}
	got, err := s.GetDeployment(ctx, 2)
	if err != nil || got.Status != deploy.Succeeded || got.Revision != d.Revision || len(got.Path) != 3 || got.CurrentStage != 2 {
		t.Fatalf("stored: %+v %v", got, err)
	}
	evs := depEvents(t, s, 2)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind+"@"+e.Stage)
	}
	want := []string{"created@canary", "status@canary", "action@canary", "advanced@half", "action@half", "advanced@full", "action@full", "status@full"}
	if !slices.Equal(kinds, want) || evs[1].Message != "running: gate "+d.Gate+" allowed it" || evs[1].Actor != "alice" {
		t.Fatalf("events %v, want %v (%+v)", kinds, want, evs[1])
	}
	var actions []string
	audits, _ := s.AuditEventsFor(ctx, "deployment", "DEP-2", 50)
	for _, a := range audits {
		if a.Role != "pipeline" {
			t.Fatalf("audit event by %s: %+v", a.Role, a)
		}
		if a.Action != "deployment.event" && !strings.HasPrefix(a.Action, "deployment.action_") {
			actions = append(actions, a.Action)
		}
	}
	if !slices.Equal(actions, []string{"deployment.start", "deployment.promote", "deployment.promote", "deployment.succeed"}) {
		t.Fatalf("audit trail: %v", actions)
	}
	if n := depAuditCount(t, s) - n1; n != int64(len(audits))+1 { // + the gate evaluation
		t.Fatalf("audit events for the lifecycle: %d, DEP-2's %d", n, len(audits))
	}
}

// TestHandAbortOfARunningDeployment: aborting a running deployment by hand
// (MoveDeployment to aborted, as AbortDeployment) is allowed: it ends
// aborted and its driver is told by an abort action.
func TestHandAbortOfARunningDeployment(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.2.0", Type: release.Feature})
	id := engRunning(t, s, "REL-1", "prod-eu")
	clock.Advance(time.Minute)
	d, err := s.MoveDeployment(ctx, depPipe, id, 0, deploy.Aborted, "wrong window")
	if err != nil || d.Status != deploy.Aborted || d.FinishedAt == nil || !d.FinishedAt.Equal(clock.T) {
		t.Fatalf("abort while running: %+v %v", d, err)
	}
	acts, _ := s.ListDeploymentActions(ctx, id)
	if len(acts) != 2 || acts[1].Kind != "abort" || acts[1].Status != "pending" {
		t.Fatalf("actions %+v", acts)
	}
	if evs := depEvents(t, s, id); !strings.HasSuffix(evs[len(evs)-1].Message, "aborted by alice: wrong window") {
		t.Fatalf("events %+v", evs)
	}
}

func TestCreateDeploymentRefusalsWriteNothing(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	depNewRelease(t, s, release.Release{Version: "2.0.0", Type: release.Feature})
	depExec(t, s, `INSERT INTO changes (title, type, release_id, env, status, requested_by, rev, created_at, updated_at)
		VALUES ('c', 'normal', 2, 'prod-eu', 'authorize', 'bob', 1, $1, $1)`, storetest.Start.Format(time.RFC3339))
	if _, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "REL-1", Env: "prod-eu"}); err != nil {
		t.Fatal(err)
	}
	n0 := depAuditCount(t, s)
	for _, c := range []struct {
		d     deploy.Deployment
		field string
		code  fault.Code
	}{
		{deploy.Deployment{Release: "REL-9", Env: "prod-eu"}, "release", fault.Invalid},
		{deploy.Deployment{Release: "PRB-1", Env: "prod-eu"}, "release", fault.Invalid},
		{deploy.Deployment{Release: "REL-2", Env: "nowhere"}, "env", fault.Invalid},
		{deploy.Deployment{Release: "REL-2", Env: "prod-eu", Change: "CHG-5"}, "change", fault.Invalid},
		{deploy.Deployment{Release: "REL-1", Env: "prod-eu", Change: "CHG-1"}, "change", fault.Invalid}, // authorises REL-2
		{deploy.Deployment{Release: "REL-2", Env: "prod-eu", Path: []deploy.Stage{{Name: "a", Weight: 50}, {Name: "b", Weight: 40}}}, "path", fault.Invalid},
		{deploy.Deployment{Release: "REL-2", Env: "prod-eu", Path: []deploy.Stage{{Name: "a", Weight: 50}}}, "path", fault.Invalid},
		{deploy.Deployment{Release: "REL-1", Env: "prod-eu"}, "env", fault.Conflict}, // DEP-1 is still pending
	} {
		_, err := s.CreateDeployment(ctx, depPipe, c.d)
		if fe := fault.As(err); fe == nil || fe.Code != c.code || fe.Field != c.field {
			t.Errorf("%+v: got %v, want %s %q", c.d, err, c.code, c.field)
		}
	}
	list, _ := s.ListDeployments(ctx, store.DeploymentFilter{})
	if len(list) != 1 || depAuditCount(t, s) != n0 {
		t.Fatalf("refused creates wrote %d deployments", len(list)-1)
	}
	d, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "REL-2", Env: "prod-eu", Change: "chg-1"})
	if err != nil || d.Change != "CHG-1" || len(d.Path) != 1 || d.Path[0].Name != "full" || d.Path[0].Weight != 100 {
		t.Fatalf("with change and default path: %+v %v", d, err)
	}
	for _, c := range []struct {
		f    store.DeploymentFilter
		want int
	}{{store.DeploymentFilter{Release: 2}, 1}, {store.DeploymentFilter{Env: "prod-eu"}, 2}, {store.DeploymentFilter{Status: "running"}, 0},
		{store.DeploymentFilter{Page: store.Page{After: 1}}, 1}} {
		if got, _ := s.ListDeployments(ctx, c.f); len(got) != c.want {
			t.Errorf("filter %+v: %d, want %d", c.f, len(got), c.want)
		}
	}
}

func depExec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.DB().Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

func TestDeploymentEventsCarryProblemLinks(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for range 2 {
		if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 2}, nil); err != nil {
			t.Fatal(err)
		}
	}
	depNewRelease(t, s, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-2", "PRB-1"}})
	if _, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: "REL-1", Env: "prod-eu"}); err != nil {
		t.Fatal(err)
	}
	evs := depEvents(t, s, 1)
	if len(evs) != 1 || !slices.Equal(evs[0].Links, []string{"DEP-1", "PRB-1", "PRB-2", "REL-1"}) {
		t.Fatalf("created event: %+v", evs)
	}
	n0 := depAuditCount(t, s)
	for _, c := range []struct {
		ev    deploy.Event
		field string
	}{
		{deploy.Event{Kind: "status", Message: "faked"}, "kind"},
		{deploy.Event{Kind: "Smoke Test"}, "kind"},
		{deploy.Event{Kind: "smoke", Links: []string{"PRB-99"}}, "links"},
		{deploy.Event{Kind: "smoke", Links: []string{"http://ci/run/1"}}, "links"},
	} {
		_, err := s.AppendDeploymentEvent(ctx, depPipe, 1, c.ev)
		if fe := fault.As(err); fe == nil || fe.Field != c.field {
			t.Errorf("%+v: got %v, want invalid %s", c.ev, err, c.field)
		}
	}
	if _, err := s.AppendDeploymentEvent(ctx, depPipe, 9, deploy.Event{Kind: "smoke"}); fault.CodeOf(err) != fault.NotFound {
		t.Errorf("unknown deployment: %v", err)
	}
	if len(depEvents(t, s, 1)) != 1 || depAuditCount(t, s) != n0 {
		t.Fatal("refused events were written")
	}
	ev, err := s.AppendDeploymentEvent(ctx, depPipe, 1, deploy.Event{Kind: "smoke-test", Message: " ok ", Links: []string{"prb-1", "REL-1"}})
	if err != nil || ev.ID == 0 || ev.Message != "ok" || ev.Actor != "alice" || ev.Stage != "full" ||
		!slices.Equal(ev.Links, []string{"DEP-1", "PRB-1", "PRB-2", "REL-1"}) {
		t.Fatalf("appended %+v %v", ev, err)
	}
	// a rollback is not a hand move; through the engine its status events carry the links too
	if _, err := s.MoveDeployment(ctx, depPipe, 1, 0, deploy.RolledBack, "error rate above 2%"); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("hand rollback: %v", err)
	}
	if _, err := s.AbortDeployment(ctx, depPipe, 1, ""); err != nil {
		t.Fatal(err)
	}
	id := engRunning(t, s, "REL-1", "prod-eu") // DEP-2
	if _, err := s.RollbackDeployment(ctx, depPipe, id, "error rate above 2%"); err != nil {
		t.Fatal(err)
	}
	engRun(t, s, id, 2, "")
	d, err := s.FinishRollback(ctx, depPipe, id, 0)
	if err != nil || d.FinishedAt == nil {
		t.Fatalf("roll back: %+v %v", d, err)
	}
	var status []string
	for _, e := range depEvents(t, s, id) {
		if e.Kind != deploy.EventStatus {
			continue
		}
		status = append(status, e.Message)
		if !slices.Equal(e.Links, []string{"DEP-2", "PRB-1", "PRB-2", "REL-1"}) {
			t.Errorf("status event without the problem links: %+v", e)
		}
	}
	if len(status) != 3 || status[1] != "rolling back to the previous version (none recorded): requested by alice: error rate above 2%" ||
		!strings.HasPrefix(status[2], "rolled back to ") {
		t.Fatalf("status events %q", status)
	}
	evs = depEvents(t, s, 1) // created, smoke-test, aborted
	page, _ := s.ListDeploymentEvents(ctx, 1, store.Page{After: evs[1].ID, Limit: 1})
	if len(evs) != 3 || len(page) != 1 || page[0].ID != evs[2].ID {
		t.Fatalf("page %+v of %+v", page, evs)
	}
}

func TestLiveDeployments(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateCI(ctx, alice, ci.CI{Name: "payments", Kind: "service"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "staging", Tier: environment.Staging}); err != nil {
		t.Fatal(err)
	}
	for _, cv := range []string{"checkout-api@1.0.0", "payments@2.0.0", "checkout-api@1.0.1", "checkout-api@1.0.2", "checkout-api@1.0.3"} {
		name, ver, _ := strings.Cut(cv, "@")
		depExec(t, s, `INSERT INTO component_versions (ci, version, status, rev, created_by, created_at, updated_at)
			VALUES ($1, $2, 'approved', 1, 'alice', $3, $3)`, name, ver, storetest.Start.Format(time.RFC3339))
	}
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature, Components: []string{"checkout-api@1.0.0", "payments@2.0.0"}})
	depNewRelease(t, s, release.Release{Version: "1.0.1", Type: release.Feature, Components: []string{"checkout-api@1.0.1"}})
	depNewRelease(t, s, release.Release{Version: "1.0.2", Type: release.Feature, Components: []string{"checkout-api@1.0.2"}})
	depNewRelease(t, s, release.Release{Version: "1.0.3", Type: release.Feature, Components: []string{"checkout-api@1.0.3"}})
	depNewRelease(t, s, release.Release{Version: "9.0.0", Type: release.Feature}) // no components
	// run deploys rel into env through the gate and ends it in end a minute
	// later ("": still running); returns when it ended
	run := func(rel, env, end string) time.Time {
		t.Helper()
		id := engRunning(t, s, rel, env)
		if end != "" {
			clock.Advance(time.Minute)
			engEnd(t, s, id, end)
		}
		at := clock.T
		clock.Advance(time.Hour)
		return at
	}
	t0 := clock.T
	t1 := run("REL-1", "prod-eu", deploy.Succeeded)  // DEP-1: checkout 1.0.0 + payments 2.0.0
	run("REL-1", "staging", deploy.Succeeded)        // DEP-2: another environment
	t2 := run("REL-2", "prod-eu", deploy.Succeeded)  // DEP-3: checkout 1.0.1 supersedes DEP-1 for checkout only
	t3 := run("REL-3", "prod-eu", deploy.RolledBack) // DEP-4: rolled back, supersedes nothing
	t4 := run("REL-4", "prod-eu", "")                // DEP-5: still running, not live
	t5 := run("REL-5", "prod-eu", deploy.Succeeded)  // DEP-6: no components: the environment as a whole
	run("REL-4", "staging", deploy.Failed)           // DEP-7: failed elsewhere
	type live struct{ dep, cis string }
	check := func(name string, at time.Time, want []live) {
		t.Helper()
		got, err := s.LiveDeployments(ctx, "prod-eu", at)
		if err != nil {
			t.Fatal(err)
		}
		var g []live
		for _, l := range got {
			g = append(g, live{l.Deployment, strings.Join(l.CIs, ",")})
		}
		if !slices.Equal(g, want) {
			t.Errorf("%s: live %v, want %v", name, g, want)
		}
	}
	check("before anything", t0, nil)
	check("just before DEP-1 finished", t1.Add(-time.Microsecond), nil)
	check("at DEP-1's end", t1, []live{{"DEP-1", "checkout-api,payments"}})
	check("after DEP-3", t2, []live{{"DEP-1", "payments"}, {"DEP-3", "checkout-api"}})
	check("after the rollback", t3, []live{{"DEP-1", "payments"}, {"DEP-3", "checkout-api"}})
	check("while DEP-5 runs", t4, []live{{"DEP-1", "payments"}, {"DEP-3", "checkout-api"}})
	check("after the whole-env release", t5, []live{{"DEP-1", "payments"}, {"DEP-3", "checkout-api"}, {"DEP-6", ""}})
	got, _ := s.LiveDeployments(ctx, "prod-eu", t2)
	if got[0].Release != "REL-1" || got[0].Version != "1.0.0" || !slices.Equal(got[0].Components, []string{"checkout-api@1.0.0", "payments@2.0.0"}) ||
		!got[0].FinishedAt.Equal(t1) {
		t.Errorf("live entry %+v", got[0])
	}
	if st, _ := s.LiveDeployments(ctx, "staging", clock.T); len(st) != 1 || st[0].Deployment != "DEP-2" {
		t.Errorf("staging: %+v", st)
	}
}

// TestCreateDeploymentConcurrentOneUnfinished: pipelines that start the same
// release into the same environment at once get one deployment; the others
// are refused with Conflict and write nothing.
func TestCreateDeploymentConcurrentOneUnfinished(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	// the events one deployment writes, measured on a deployment made alone
	ref := depNewRelease(t, s, release.Release{Version: "0.9.0", Type: release.Feature})
	n0 := depAuditCount(t, s)
	if _, err := s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: ref.ID, Env: "prod-eu"}); err != nil {
		t.Fatal(err)
	}
	perDeployment := depAuditCount(t, s) - n0
	for round := 1; round <= 5; round++ {
		rel := depNewRelease(t, s, release.Release{Version: fmt.Sprintf("1.0.%d", round), Type: release.Feature})
		n0 := depAuditCount(t, s)
		const pipelines = 8
		errs := make([]error, pipelines)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = s.CreateDeployment(ctx, depPipe, deploy.Deployment{Release: rel.ID, Env: "prod-eu"})
			}()
		}
		close(start)
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case fault.CodeOf(err) != fault.Conflict:
				t.Fatalf("round %d: %v, want Conflict", round, err)
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d pipelines created a deployment of %s into prod-eu, want 1", round, created, rel.ID)
		}
		if n := depAuditCount(t, s); n != n0+perDeployment {
			t.Fatalf("round %d: %d audit events written, want %d (one deployment's)", round, n-n0, perDeployment)
		}
	}
}

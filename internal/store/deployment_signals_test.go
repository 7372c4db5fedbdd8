package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/environment"
	"fixgate/internal/incident"
	"fixgate/internal/knownerror"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
)

// evWatch sets up PRB-1 (RCA validated) fixed by REL-1 (checkout-api@1.0.1)
// deployed to prod-eu as DEP-1 through the engine's store steps, one
// stage whose analysis is the built-in templates recurrence and incidents,
// now succeeded inside its one-hour watch (PRB-1 resolved), with KE-1 and
// the signature {alertname="HighErrorRate",service="checkout-api"}. The
// store's hooks answer the policy and record the decisions told.
func evWatch(t *testing.T) (*store.Store, *storetest.Clock, *evDecisions) {
	t.Helper()
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
	for _, env := range []string{"prod-us", "staging"} {
		if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: env, Tier: environment.Production}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: "1.0.1"}); err != nil {
		t.Fatal(err)
	}
	depNewRelease(t, s, release.Release{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-1"},
		Components: []string{"checkout-api@1.0.1"}})
	approveRel(t, s, 1, "REL-1", resQuinn)
	pol := storetest.OpenPolicy()
	dec := &evDecisions{}
	s.SetRollouts(store.Rollouts{Policy: func(context.Context) (*policy.Policy, int64, error) { return pol, 0, nil }, Decided: dec.add})
	stages := []deploy.Stage{{Name: "full", Weight: 100, Analysis: []string{"recurrence", "incidents"}}}
	engStart(t, s, pol, store.StartRequest{Release: "REL-1", Env: "prod-eu", Stages: stages})
	engRun(t, s, 1, 1, "")
	clock.Advance(time.Second)
	if _, err := s.SucceedDeployment(ctx, depPipe, 1, 0, clock.T.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if p := sigProblem(t, s); p.Status != problem.Resolved {
		t.Fatalf("problem %s after the fix succeeded in production", p.Status)
	}
	if _, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "Checkout 500s", Problem: "PRB-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSignature(ctx, alice, 1, `{service="checkout-api", alertname="HighErrorRate"}`); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	return s, clock, dec
}

// evDecisions records what the Decided hook was told.
type evDecisions struct {
	mu  sync.Mutex
	got []store.RollbackDecision
}

func (e *evDecisions) add(d store.RollbackDecision) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, d)
}

func (e *evDecisions) all() []store.RollbackDecision {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]store.RollbackDecision(nil), e.got...)
}

// evAlert is a firing alert with labels over sigLabels (env, alertname …).
func evAlert(t *testing.T, at time.Time, over map[string]string) sigAlert {
	t.Helper()
	l := map[string]string{}
	for k, v := range sigLabels {
		l[k] = v
	}
	for k, v := range over {
		l[k] = v
	}
	return sigAlert{status: "firing", labels: l, starts: at}
}

// evState returns DEP-1's status and its rollback actions.
func evState(t *testing.T, s *store.Store) (deploy.Deployment, []store.DeploymentAction) {
	t.Helper()
	ctx := context.Background()
	d, err := s.GetDeployment(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := s.ListDeploymentActions(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	var rb []store.DeploymentAction
	for _, a := range acts {
		if a.Kind == driver.Rollback {
			rb = append(rb, a)
		}
	}
	return d, rb
}

// TestAlertDecidesRollbackInTheIngest: during the watch after 100 %, a
// matching alert in the deployment's environment decides its rollback in
// the ingest call that stores it; an alert that matches nothing (on a CI
// the release does not deploy), or matches in another environment,
// changes nothing. The rollback's
// consequences count the recurrence (which reopened the problem on
// arrival) once.
func TestAlertDecidesRollbackInTheIngest(t *testing.T) {
	s, clock, dec := evWatch(t)
	ctx := context.Background()
	other := sigIngest(t, s, sigPayload(t, evAlert(t, clock.T, map[string]string{"alertname": "DiskFull", "service": "payments"})))
	elsewhere := sigIngest(t, s, sigPayload(t, evAlert(t, clock.T, map[string]string{"env": "staging", "instance": "s1"})))
	if d, rb := evState(t, s); d.Status != deploy.Succeeded || len(rb) != 0 || other.Rollbacks+elsewhere.Rollbacks != 0 || len(dec.all()) != 0 {
		t.Fatalf("an unrelated alert or one in another environment: %s, %d rollback actions, %+v", d.Status, len(rb), dec.all())
	}
	// the staging alert reopened PRB-1 (signatures know no environment); prod-eu's check still counts its own matches
	clock.Advance(time.Second)
	arrived := time.Now()
	res := sigIngest(t, s, sigPayload(t, evAlert(t, clock.T, map[string]string{"instance": "eu-1"})))
	d, rb := evState(t, s)
	if d.Status != deploy.RollingBack || len(rb) != 1 || rb[0].Status != rollout.ActionPending || res.Rollbacks != 1 {
		t.Fatalf("after a matching alert in prod-eu: %s, rollback actions %+v, result %+v", d.Status, rb, res)
	}
	if !strings.HasPrefix(d.RollbackCause, "check recurrence/recurrence failed: signal ") || !d.RollbackDecidedAt.Equal(clock.T) {
		t.Fatalf("cause %q decided %v", d.RollbackCause, d.RollbackDecidedAt)
	}
	got := dec.all()
	if len(got) != 1 || got[0].Deployment != 1 || got[0].Measured != rollout.KindRecurrence || got[0].Evidence.Before(arrived) {
		t.Fatalf("hook told %+v", got)
	}
	ms, _ := s.ListMeasurements(ctx, 1)
	if len(ms) != 1 || ms[0].Outcome != analysis.Failed || ms[0].Stage != rollout.WatchStage || len(ms[0].Records) != 1 {
		t.Fatalf("measurements %+v", ms)
	}
}

// TestRecurrenceRollbackCountsOnce: the alert that reopens the resolved
// problem on arrival (recur) also rolls the deployment back; once the
// rollback is done the problem counts one recurrence, its known error one
// "recurred" outcome for REL-1, and problem.recurred was announced once.
func TestRecurrenceRollbackCountsOnce(t *testing.T) {
	s, clock, _ := evWatch(t)
	ctx := context.Background()
	res := sigIngest(t, s, sigPayload(t, evAlert(t, clock.T, nil)))
	if res.Recurrences != 1 || res.Rollbacks != 1 {
		t.Fatalf("ingest: %+v", res)
	}
	engRun(t, s, 1, 2, "")
	if _, err := s.FinishRollback(ctx, depPipe, 1, 0); err != nil {
		t.Fatal(err)
	}
	p := sigProblem(t, s)
	if p.Status != problem.FixInProgress || p.RecurrenceCount != 1 {
		t.Fatalf("problem %s with %d recurrences, want fix_in_progress with 1", p.Status, p.RecurrenceCount)
	}
	ke, err := s.GetKnownError(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range ke.Outcomes {
		if o.Outcome == knownerror.Recurred && o.Release == "REL-1" {
			n++
		}
	}
	if n != 1 || len(sigOutbox(t, s, store.EventProblemRecurred)) != 1 {
		t.Fatalf("KE-1 outcomes %+v; problem.recurred %d times", ke.Outcomes, len(sigOutbox(t, s, store.EventProblemRecurred)))
	}
	depAuditCount(t, s)
}

// TestConcurrentAlertsDecideOneRollback: 8 matching alerts posted at once
// (several group commits; two writers on PostgreSQL) decide one rollback.
func TestConcurrentAlertsDecideOneRollback(t *testing.T) {
	s, clock, dec := evWatch(t)
	var wg sync.WaitGroup
	total := make([]int, 8)
	for i := range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.IngestAlerts(context.Background(), sigBot, sigPayload(t, evAlert(t, clock.T, map[string]string{"instance": fmt.Sprint(i)})))
			if err != nil {
				t.Error(err)
			}
			total[i] = res.Rollbacks
		}()
	}
	wg.Wait()
	sum := 0
	for _, n := range total {
		sum += n
	}
	d, rb := evState(t, s)
	if d.Status != deploy.RollingBack || len(rb) != 1 || sum != 1 || len(dec.all()) != 1 {
		t.Fatalf("%s, %d rollback actions, %d rollbacks reported, hook told %d", d.Status, len(rb), sum, len(dec.all()))
	}
	depAuditCount(t, s)
}

// TestIncidentDecidesRollback: an incident created on the release's CI in
// the environment at the incidents check's severity (2 or higher) rolls the
// deployment back in the same call; one below it, or on another
// environment, does not.
func TestIncidentDecidesRollback(t *testing.T) {
	s, clock, _ := evWatch(t)
	ctx := context.Background()
	for _, in := range []incident.Incident{
		{Title: "slow", CI: "checkout-api", Env: "prod-eu", Severity: 3, OpenedAt: clock.T},
		{Title: "down", CI: "checkout-api", Env: "prod-us", Severity: 1, OpenedAt: clock.T},
	} {
		if _, err := s.CreateIncident(ctx, alice, in); err != nil {
			t.Fatal(err)
		}
	}
	if d, rb := evState(t, s); d.Status != deploy.Succeeded || len(rb) != 0 {
		t.Fatalf("a minor incident or one elsewhere: %s, %d rollback actions", d.Status, len(rb))
	}
	in, err := s.CreateIncident(ctx, alice, incident.Incident{Title: "down", CI: "checkout-api", Env: "prod-eu", Severity: 2, OpenedAt: clock.T})
	if err != nil {
		t.Fatal(err)
	}
	d, rb := evState(t, s)
	if d.Status != deploy.RollingBack || len(rb) != 1 || !strings.Contains(d.RollbackCause, in.ID) {
		t.Fatalf("after %s: %s, %d rollback actions, cause %q", in.ID, d.Status, len(rb), d.RollbackCause)
	}
}

// TestWatchOverNoEventRollback: after the watch window, a matching alert
// rolls nothing back.
func TestWatchOverNoEventRollback(t *testing.T) {
	s, clock, _ := evWatch(t)
	clock.Advance(2 * time.Hour)
	sigIngest(t, s, sigPayload(t, evAlert(t, clock.T, nil)))
	if d, rb := evState(t, s); d.Status != deploy.Succeeded || len(rb) != 0 {
		t.Fatalf("after the watch: %s, %d rollback actions", d.Status, len(rb))
	}
}

package engine_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/environment"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var pipe = audit.Actor{User: "ci", Role: "pipeline", RequestID: "t"}

// recorder is a driver that records its calls, like an exec driver would
// run a command: it can be told to fail an action kind.
type recorder struct {
	mu    sync.Mutex
	calls []driver.Action
	at    []time.Time
	fail  map[string]int // kind → failures left
}

func (d *recorder) Run(ctx context.Context, a driver.Action) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, a)
	d.at = append(d.at, time.Now())
	if d.fail[a.Kind] > 0 {
		d.fail[a.Kind]--
		return "boom", errors.New("exit status 1")
	}
	return fmt.Sprintf("%s %s %s %d%% key %s", a.Kind, a.Deployment, a.Stage, a.Weight, a.Key), nil
}

func (d *recorder) kinds(dep string) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, c := range d.calls {
		if c.Deployment == dep {
			out = append(out, c.Kind+":"+c.Stage)
		}
	}
	return out
}

// measurer answers every Prometheus check with outcome, noting when it returned.
type measurer struct {
	mu       sync.Mutex
	outcome  string
	returned time.Time
}

func (m *measurer) Measure(ctx context.Context, q engine.Query) analysis.Measurement {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.returned = time.Now()
	return analysis.Measurement{Query: "up", Outcome: m.outcome, Value: []byte(`{"scalar":1}`)}
}

func testPolicy() *policy.Policy {
	p := storetest.OpenPolicy()
	p.AnalysisTemplates = map[string]policy.AnalysisTemplate{"health": {Checks: []policy.Check{
		{Name: "errors", Prometheus: &policy.PrometheusCheck{Query: "up", Interval: policy.Duration(200 * time.Millisecond)}},
		{Name: "recurrence", Recurrence: &policy.RecurrenceCheck{}},
	}}}
	p.Environments["prod-eu"] = policy.EnvironmentPolicy{Driver: "shell", Watch: policy.Duration(time.Second)}
	return p
}

var twoStages = []deploy.Stage{
	{Name: "canary", Weight: 10, Duration: policy.Duration(time.Second), Analysis: []string{"health"}},
	{Name: "full", Weight: 100, Duration: policy.Duration(time.Second), Analysis: []string{"health"}},
}

func setup(t *testing.T, releases int) (*store.Store, *policy.Policy) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.CreateEnvironment(ctx, pipe, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		t.Fatal(err)
	}
	for i := range releases {
		if _, err := s.CreateRelease(ctx, pipe, release.Release{Version: fmt.Sprintf("1.0.%d", i), Type: release.Feature}); err != nil {
			t.Fatal(err)
		}
	}
	return s, testPolicy()
}

func runner(s *store.Store, pol *policy.Policy, drv driver.Driver, m engine.Measurer) *engine.Runner {
	return &engine.Runner{Store: s, Holder: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Prometheus: m,
		Policy:  func(context.Context) (*policy.Policy, int64, error) { return pol, 0, nil },
		Drivers: func(*policy.Policy, string) (driver.Driver, error) { return drv, nil }}
}

func start(t *testing.T, s *store.Store, pol *policy.Policy, rel string) deploy.Deployment {
	t.Helper()
	d, ev, err := s.StartDeployment(context.Background(), pipe, store.StartRequest{Release: rel, Env: "prod-eu", Stages: twoStages}, pol, 0)
	if err != nil || d.Status != deploy.Running {
		t.Fatalf("start %s: %+v %+v %v", rel, d, ev.Verdict, err)
	}
	return d
}

// waitFor polls deployment id until cond holds or timeout passes.
func waitFor(t *testing.T, s *store.Store, id string, timeout time.Duration, cond func(deploy.Deployment) bool) deploy.Deployment {
	t.Helper()
	n, _ := ident.Deployment.Parse("id", id)
	end := time.Now().Add(timeout)
	for {
		d, err := s.GetDeployment(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if cond(d) {
			return d
		}
		if time.Now().After(end) {
			t.Fatalf("%s: timed out in %s (%+v)", id, d.Status, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHealthyRolloutSucceedsThenVerifies(t *testing.T) {
	s, pol := setup(t, 1)
	drv, m := &recorder{}, &measurer{outcome: analysis.Successful}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go runner(s, pol, drv, m).Run(ctx)
	d := start(t, s, pol, "REL-1")
	d = waitFor(t, s, d.ID, 10*time.Second, func(d deploy.Deployment) bool { return d.Status == deploy.Succeeded })
	if got := drv.kinds(d.ID); len(got) != 2 || got[0] != "deploy:canary" || got[1] != "promote:full" {
		t.Fatalf("driver calls %v", got)
	}
	d = waitFor(t, s, d.ID, 5*time.Second, func(d deploy.Deployment) bool { return d.VerifiedAt != nil })
	if r, _ := s.GetRelease(ctx, 1); r.Status != release.Verified && r.Status != release.Planned {
		t.Fatalf("release %s", r.Status)
	}
	ms, _ := s.ListMeasurements(ctx, 1)
	stages := map[string]int{}
	for _, m := range ms {
		stages[m.Stage]++
	}
	if stages["canary"] < 2 || stages["full"] < 2 || stages["watch"] < 1 {
		t.Fatalf("measurements per stage %v", stages)
	}
}

func TestFailingMeasurementRollsBackFast(t *testing.T) {
	s, pol := setup(t, 1)
	drv, m := &recorder{fail: map[string]int{driver.Rollback: 1}}, &measurer{outcome: analysis.Failed}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go runner(s, pol, drv, m).Run(ctx)
	d := start(t, s, pol, "REL-1")
	d = waitFor(t, s, d.ID, 10*time.Second, func(d deploy.Deployment) bool { return d.Status == deploy.RolledBack })
	got := drv.kinds(d.ID)
	if len(got) != 3 || got[0] != "deploy:canary" || got[1] != "rollback:canary" || got[2] != "rollback:canary" {
		t.Fatalf("driver calls %v (the first rollback fails and is retried)", got)
	}
	drv.mu.Lock()
	latency := drv.at[1].Sub(firstFailure(t, s, m))
	drv.mu.Unlock()
	t.Logf("failing measurement returned → rollback driver started: %v", latency)
	if latency > 250*time.Millisecond || latency < 0 {
		t.Fatalf("rollback started %v after the failing measurement returned", latency)
	}
	ms, _ := s.ListMeasurements(ctx, 1)
	if last := ms[len(ms)-1]; last.Stage != "after-rollback" {
		t.Fatalf("no check of the restored version: %+v", last)
	}
	if d.RollbackCause == "" || d.FirstFailureAt == nil || d.RollbackDoneAt == nil {
		t.Fatalf("rollback record %+v", d)
	}
}

// firstFailure is when the measurer returned its first failing answer:
// with a measurer that always fails, the one before the rollback.
func firstFailure(t *testing.T, s *store.Store, m *measurer) time.Time {
	t.Helper()
	// the measurer keeps only the last return; the test asks the driver's
	// first call after it: re-measure from the stored times instead.
	ms, _ := s.ListMeasurements(context.Background(), 1)
	for _, x := range ms {
		if x.Outcome == analysis.Failed {
			return x.At
		}
	}
	t.Fatal("no failed measurement")
	return time.Time{}
}

func TestHundredConcurrentDeploymentsFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("100 deployments")
	}
	s, pol := setup(t, 100)
	drv, m := &recorder{}, &measurer{outcome: analysis.Successful}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go runner(s, pol, drv, m).Run(ctx)
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = start(t, s, pol, fmt.Sprintf("REL-%d", i+1)).ID
	}
	for _, id := range ids {
		waitFor(t, s, id, 60*time.Second, func(d deploy.Deployment) bool { return d.VerifiedAt != nil })
	}
}

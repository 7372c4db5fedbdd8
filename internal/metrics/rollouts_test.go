package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/engine"
	"fixgate/internal/environment"
	"fixgate/internal/incident"
	"fixgate/internal/metrics"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var pipe = audit.Actor{User: "ci", Role: "pipeline", RequestID: "t"}

// calls is a driver that records the kinds of action it ran.
type calls struct {
	mu    sync.Mutex
	kinds []string
}

func (c *calls) Run(_ context.Context, a driver.Action) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.kinds = append(c.kinds, a.Kind)
	return "ok", nil
}

// TestRolloutMetricsAfterAnIncidentRollback: a deployment succeeds at
// 100 %; in its watch an incident on its CI rolls it back (event-driven).
// /metrics then shows the deployment outcomes, the measurements, the
// rollback by cause and its start latency, and passes promtool when
// installed.
func TestRolloutMetricsAfterAnIncidentRollback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := store.Open(ctx, storetest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pol := storetest.OpenPolicy()
	pol.Environments["prod-eu"] = policy.EnvironmentPolicy{Driver: "shell", Watch: policy.Duration(time.Minute)}
	seedRelease(t, s)
	m := metrics.New(s.DB())
	drv := &calls{}
	polFn := func(context.Context) (*policy.Policy, int64, error) { return pol, 0, nil }
	r := &engine.Runner{Store: s, Holder: "test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: polFn,
		Drivers:         func(*policy.Policy, string) (driver.Driver, error) { return drv, nil },
		OnRollbackStart: m.RollbackStarted, OnOutcome: m.Outcome, Poll: 20 * time.Millisecond}
	s.SetRollouts(store.Rollouts{Policy: polFn, Decided: r.RollbackDecided})
	go r.Run(ctx)
	stages := []deploy.Stage{{Name: "full", Weight: 100, Analysis: []string{"incidents"}}}
	d, _, err := s.StartDeployment(ctx, pipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Stages: stages}, pol, 0)
	if err != nil {
		t.Fatal(err)
	}
	r.Wake(1)
	waitStatus(t, s, deploy.Succeeded)
	if _, err := s.CreateIncident(ctx, pipe, incident.Incident{Title: "down", CI: "checkout-api", Env: "prod-eu", Severity: 1,
		OpenedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, deploy.RolledBack)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	body := get(t, srv.URL)
	for _, want := range []string{
		`fixgate_deployments_total{outcome="succeeded"} 1`,
		`fixgate_deployments_total{outcome="rolled_back"} 1`,
		`fixgate_deployments_total{outcome="blocked"} 0`,
		`fixgate_measurements_total{kind="incidents",outcome="failed"} 1`,
		`fixgate_rollbacks_total{cause="incident"} 1`,
		`fixgate_rollbacks_total{cause="measurement"} 0`,
		`fixgate_rollback_start_seconds_count{cause="incident"} 1`,
		`fixgate_rollback_start_seconds_bucket{cause="incident",le="10"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("%s: %s\n%s", d.ID, strings.Join(drv.kinds, ","), body)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		check := exec.Command(promtool, "check", "metrics")
		check.Stdin = strings.NewReader(body)
		if out, err := check.CombinedOutput(); err != nil {
			t.Fatalf("promtool check metrics: %v\n%s", err, out)
		}
	}
}

// seedRelease stores prod-eu, the CI checkout-api and REL-1 deploying checkout-api@1.0.1.
func seedRelease(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateEnvironment(ctx, pipe, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCI(ctx, pipe, ci.CI{Name: "checkout-api", Kind: "service"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateComponent(ctx, pipe, ci.Version{CI: "checkout-api", Version: "1.0.1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, pipe, release.Release{Version: "1.0.1", Type: release.Feature,
		Components: []string{"checkout-api@1.0.1"}}); err != nil {
		t.Fatal(err)
	}
}

func waitStatus(t *testing.T, s *store.Store, status string) {
	t.Helper()
	end := time.Now().Add(20 * time.Second)
	for {
		d, err := s.GetDeployment(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == status {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("DEP-1 is %s, want %s: %+v", d.Status, status, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

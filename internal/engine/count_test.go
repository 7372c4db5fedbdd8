package engine_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/incident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// An imported incident (store.ImportIncidents) decides no rollback on
// arrival, unlike one created through the API or opened by an alert: only
// the engine's count of the incidents check sees it. These tests prove
// that count, periodic and at the stage's end.

// countSetup stores checkout-api, REL-1 shipping checkout-api@1.0.1 and a
// policy whose stage analysis is the incidents check; it starts REL-1 in
// prod-eu on a canary of stage, then 100 %.
func countSetup(t *testing.T, stage time.Duration) (*store.Store, *policy.Policy, []deploy.Stage) {
	t.Helper()
	s, pol := setup(t, 0)
	ctx := context.Background()
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
	pol.AnalysisTemplates["incidents"] = policy.AnalysisTemplate{Checks: []policy.Check{
		{Name: "incidents", Incidents: &policy.IncidentsCheck{MinSeverity: 2}}}}
	path := []deploy.Stage{{Name: "canary", Weight: 10, Duration: policy.Duration(stage), Analysis: []string{"incidents"}},
		{Name: "full", Weight: 100}}
	return s, pol, path
}

// importIncident imports a severity-1 incident on checkout-api in prod-eu
// once the canary's incidents check was counted once (at its start).
func importIncident(t *testing.T, s *store.Store, dep string) {
	t.Helper()
	waitMeasured(t, s, 1)
	if _, _, _, errs, err := s.ImportIncidents(context.Background(), pipe, []incident.Incident{{ExternalID: "X-1", Title: "down",
		CI: "checkout-api", Env: "prod-eu", Severity: 1, OpenedAt: time.Now()}}); err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if d := waitFor(t, s, dep, time.Second, func(deploy.Deployment) bool { return true }); d.Status != deploy.Running {
		t.Fatalf("the import decided %s on arrival: this test needs a path that does not", d.Status)
	}
}

// waitMeasured waits until DEP-1 has n incidents measurements.
func waitMeasured(t *testing.T, s *store.Store, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ms, err := s.ListMeasurements(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, m := range ms {
			if m.Kind == "incidents" {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d incidents measurements after 10s, want %d", got, n)
		}
	}
}

func TestStoreCountCatchesAnImportedIncident(t *testing.T) {
	s, pol, path := countSetup(t, time.Hour)
	r := runner(s, pol, &recorder{}, &measurer{outcome: analysis.Successful})
	r.StoreInterval = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	d, ev, err := s.StartDeployment(ctx, pipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Stages: path}, pol, 0)
	if err != nil || d.Status != deploy.Running {
		t.Fatalf("start: %+v %+v %v", d, ev.Verdict, err)
	}
	importIncident(t, s, d.ID)
	d = waitFor(t, s, d.ID, 5*time.Second, func(d deploy.Deployment) bool { return d.Status == deploy.RolledBack })
	if !strings.Contains(d.RollbackCause, "incidents") {
		t.Fatalf("rolled back for %q", d.RollbackCause)
	}
}

func TestStoreCountAtTheStageEndCatchesAnImportedIncident(t *testing.T) {
	s, pol, path := countSetup(t, 2*time.Second)
	r := runner(s, pol, &recorder{}, &measurer{outcome: analysis.Successful})
	r.StoreInterval = time.Hour // no count between the stage's start and its end
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	d, ev, err := s.StartDeployment(ctx, pipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Stages: path}, pol, 0)
	if err != nil || d.Status != deploy.Running {
		t.Fatalf("start: %+v %+v %v", d, ev.Verdict, err)
	}
	importIncident(t, s, d.ID)
	d = waitFor(t, s, d.ID, 10*time.Second, func(d deploy.Deployment) bool { return deploy.Final(d.Status) || d.CurrentStage > 0 })
	if d.Status != deploy.RolledBack || d.CurrentStage != 0 || !strings.Contains(d.RollbackCause, "incidents") {
		t.Fatalf("%s at stage %d (cause %q): the canary's end must count the incident before promoting", d.Status, d.CurrentStage, d.RollbackCause)
	}
	var ms []analysis.Measurement
	all, _ := s.ListMeasurements(ctx, 1)
	for _, m := range all {
		if m.Stage == "canary" {
			ms = append(ms, m)
		}
	}
	if n := len(ms); n != 2 || ms[1].Outcome != analysis.Failed || ms[1].At.Before(ms[0].At.Add(2*time.Second)) {
		t.Fatalf("measurements %+v: want one at the start and the failed one at the end", ms)
	}
}

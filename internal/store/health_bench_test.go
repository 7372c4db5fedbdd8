package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/environment"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// BenchmarkGateInputUnrelatedAlerts gathers the gate input of a release
// reaching 200 CIs on prod-eu with no other firing alert, then with 20,000
// firing alerts of services that are no CI (the unrelated traffic of
// `bench -case rollback`): what the environment's unrelated alerts cost a
// gate evaluation (bench/README.md, session 7).
func BenchmarkGateInputUnrelatedAlerts(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	gateGraph200(b, s)
	pol := policy.Default()
	q := store.GateQuery{Release: 1, Env: "prod-eu", At: clock.Now()}
	added := 0
	for _, n := range []int{0, 20000} {
		for ; added < n; added += 500 {
			var as []sigAlert
			for i := range 500 {
				l := map[string]string{"alertname": "Unrelated", "service": fmt.Sprint("noise-", (added+i)%50), "env": "prod-eu",
					"severity": "critical", "instance": fmt.Sprint(added + i)}
				as = append(as, sigAlert{status: "firing", labels: l, starts: clock.Now().Add(-time.Minute)})
			}
			if _, err := s.IngestAlerts(ctx, sigBot, sigPayload(b, as...)); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("alerts=%d", n), func(b *testing.B) {
			defer reportBackendCPU(b, s)()
			for b.Loop() {
				if _, _, err := s.GateInput(ctx, q, pol); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadRollout loads a deployment's facts for the engine (what
// every step of its analysis reads) with 100, then 3,600 measurements in
// its current stage: a check measured every second for 100 s, then for an
// hour (bench/README.md, session 7).
func BenchmarkLoadRollout(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		b.Fatal(err)
	}
	d, _, err := s.StartDeployment(ctx, depPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Driver: "shell"}, storetest.OpenPolicy(), 0)
	if err == nil {
		if _, err = s.BeginAction(ctx, depPipe, 1, 1); err == nil {
			_, err = s.FinishAction(ctx, depPipe, 1, 1, "", "ok")
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	added := 0
	for _, n := range []int{100, 3600} {
		for ; added < n; added += 100 {
			var ms []analysis.Measurement
			for i := range 100 {
				ms = append(ms, analysis.Measurement{Deployment: d.ID, Stage: d.Stage().Name, Template: "health", Check: "errors",
					Kind: "prometheus", At: clock.Now().Add(time.Duration(added+i) * time.Second), Query: `sum(rate(errors[1m]))`,
					Value: []byte(`{"scalar":0.001}`), Outcome: analysis.Successful, Message: "value 0.001: success condition holds"})
			}
			if err := s.RecordMeasurements(ctx, depPipe, 1, ms); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("measurements=%d", n), func(b *testing.B) {
			defer reportBackendCPU(b, s)()
			for b.Loop() {
				if _, err := s.LoadRollout(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEndStep stores one step's end as the engine does at each
// measurement of a check: one measurement (with its audit event and, since
// session 7, its check's tally) and the lease given back, in one write
// transaction (bench/README.md, session 7: what the tallies cost a write).
func BenchmarkEndStep(b *testing.B) {
	s, clock := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature}); err != nil {
		b.Fatal(err)
	}
	d, _, err := s.StartDeployment(ctx, depPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu", Driver: "shell"}, storetest.OpenPolicy(), 0)
	if err != nil {
		b.Fatal(err)
	}
	defer reportBackendCPU(b, s)()
	i := 0
	for b.Loop() {
		i++
		m := analysis.Measurement{Deployment: d.ID, Stage: d.Stage().Name, Template: "health", Check: "errors", Kind: "prometheus",
			At: clock.Now().Add(time.Duration(i) * time.Second), Query: `sum(rate(errors[1m]))`, Value: []byte(`{"scalar":0.001}`),
			Outcome: analysis.Successful, Message: "value 0.001: success condition holds"}
		if err := s.EndStep(ctx, depPipe, 1, "bench", 0, nil, []analysis.Measurement{m}); err != nil {
			b.Fatal(err)
		}
	}
}

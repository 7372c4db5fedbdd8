package store_test

import (
	"context"
	"slices"
	"testing"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/release"
	"fixgate/internal/store/storetest"
)

// TestDecideRollbackMeasuredStoresTheEvidence: the engine's failing
// measurement is stored by the transaction that decides the rollback, with
// its audit event; a decision refused (a stale revision) stores neither.
func TestDecideRollbackMeasuredStoresTheEvidence(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	id := engRunning(t, s, "REL-1", "prod-eu")
	d, _ := s.GetDeployment(ctx, id)
	m := analysis.Measurement{Deployment: d.ID, Stage: "full", Template: "health", Check: "errors", Kind: "prometheus",
		At: clock.T, Query: "up", Value: []byte(`{"scalar":1}`), Outcome: analysis.Failed, Message: "value 1: failure condition holds"}
	actions := func() []string {
		evs, err := s.AuditEventsFor(ctx, "deployment", d.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range evs {
			out = append(out, e.Action)
		}
		return out
	}
	before := actions()
	if _, err := s.DecideRollbackMeasured(ctx, depPipe, id, d.Revision-1, "stale", clock.T, []analysis.Measurement{m}); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale revision: %v", err)
	}
	if ms, _ := s.ListMeasurements(ctx, id); len(ms) != 0 || len(actions()) != len(before) {
		t.Fatalf("a refused decision stored %d measurements: %v", len(ms), actions())
	}
	got, err := s.DecideRollbackMeasured(ctx, depPipe, id, d.Revision, "check health/errors failed: "+m.Message, clock.T, []analysis.Measurement{m})
	if err != nil || got.Status != deploy.RollingBack || !got.FirstFailureAt.Equal(clock.T) {
		t.Fatalf("decide: %+v %v", got, err)
	}
	ms, _ := s.ListMeasurements(ctx, id)
	if len(ms) != 1 || ms[0].Outcome != analysis.Failed || ms[0].Message != m.Message || ms[0].Query != "up" {
		t.Fatalf("measurements %+v", ms)
	}
	if got := actions()[len(before):]; !slices.Equal(got, []string{"deployment.measure", "deployment.action_queue", "deployment.event", "deployment.rollback"}) {
		t.Fatalf("audited %v, want the measurement, then the decision and what it queued", got)
	}
	depAuditCount(t, s)
}

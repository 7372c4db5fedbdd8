package engine_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/engine"
)

// TestStepWritesItsMeasurementsWithTheLease: a step's measurements are
// stored in the transaction that gives the lease back, so a step that only
// measures is two write transactions (claim, end), however many checks it
// measured.
func TestStepWritesItsMeasurementsWithTheLease(t *testing.T) {
	s, pol := setup(t, 1)
	drv := &recorder{}
	r := runner(s, pol, drv, &measurer{outcome: analysis.Successful})
	ctx := context.Background()
	d := start(t, s, pol, "REL-1")
	// claim; the deploy action (begin, finish); both checks measured at the
	// stage's start and stored with the lease's release
	if err := r.Step(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if got := drv.kinds(d.ID); len(got) != 1 || got[0] != "deploy:canary" {
		t.Fatalf("driver calls %v", got)
	}
	if ms, _ := s.ListMeasurements(ctx, 1); len(ms) != 2 || r.Writes() != 4 {
		t.Fatalf("%d measurements in %d write transactions, want 2 in 4 (claim, begin, finish, end)", len(ms), r.Writes())
	}
	time.Sleep(250 * time.Millisecond) // the prometheus check's interval is 200 ms; recurrence's 30 s
	before := r.Writes()
	if err := r.Step(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.ListMeasurements(ctx, 1); len(ms) != 3 || r.Writes()-before != 2 {
		t.Fatalf("%d measurements after %d more write transactions, want 3 after 2", len(ms), r.Writes()-before)
	}
	got, err := s.GetDeployment(ctx, 1)
	if err != nil || got.Status != deploy.Running || got.NextStepAt == nil {
		t.Fatalf("after the step: %+v %v", got, err)
	}
}

// TestFailingMeasurementStoredWithTheRollback: the step that takes a
// failing measurement stores it in the transaction that decides the
// rollback, not in one of its own before it: a step from the deploy action
// to rolled back is 9 write transactions (claim; deploy begin, finish; the
// decision with the failing measurement; rollback begin, finish; the
// restored version's measurements, the finish; the end).
func TestFailingMeasurementStoredWithTheRollback(t *testing.T) {
	s, pol := setup(t, 1)
	drv := &recorder{}
	r := runner(s, pol, drv, &measurer{outcome: analysis.Failed})
	ctx := context.Background()
	d := start(t, s, pol, "REL-1")
	if err := r.Step(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDeployment(ctx, 1)
	if err != nil || got.Status != deploy.RolledBack {
		t.Fatalf("after the step: %s %v (driver calls %v)", got.Status, err, drv.kinds(d.ID))
	}
	ms, _ := s.ListMeasurements(ctx, 1)
	if len(ms) != 3 || ms[0].Stage != "canary" || ms[0].Outcome != analysis.Failed || r.Writes() != 9 {
		t.Fatalf("%d measurements (first %+v) in %d write transactions, want 3 (the failing one, then the restored "+
			"version's two) in 9", len(ms), ms[0], r.Writes())
	}
}

// stopped is a Prometheus that answers only when the runner stops, with
// the error a cancelled query returns.
type stopped struct{ asked chan struct{} }

func (m stopped) Measure(ctx context.Context, q engine.Query) analysis.Measurement {
	close(m.asked)
	<-ctx.Done()
	return analysis.Measurement{Query: "up", Outcome: analysis.Error, Message: "prometheus: " + ctx.Err().Error()}
}

// TestStopRecordsNoCutShortMeasurement: a measurement the runner's stop
// cut short (SIGTERM) is not stored as an error: stored, it would be the
// stage's only evidence after a restart once the stage is over, and the
// deployment would pause for want of a successful measurement instead of
// measuring again (bench -case rollback, restart after the traffic).
func TestStopRecordsNoCutShortMeasurement(t *testing.T) {
	s, pol := setup(t, 1)
	asked := make(chan struct{})
	r := runner(s, pol, &recorder{}, stopped{asked})
	ctx, cancel := context.WithCancel(context.Background())
	start(t, s, pol, "REL-1")
	done := make(chan error)
	go func() { done <- r.Step(ctx, 1) }()
	<-asked
	cancel()
	<-done
	ms, _ := s.ListMeasurements(context.Background(), 1)
	for _, m := range ms {
		if m.Outcome == analysis.Error {
			t.Fatalf("a measurement cut short by the stop was stored: %+v", m)
		}
	}
	if d, _ := s.GetDeployment(context.Background(), 1); d.NextStepAt == nil {
		t.Fatal("the deployment is not due again after the stop")
	}
}

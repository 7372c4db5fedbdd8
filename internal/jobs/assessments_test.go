package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"fixgate/internal/jobs"
	"fixgate/internal/store/storetest"
)

// TestAssessControlsMonthlyOnceAcrossReplicas: two replicas on one
// database; the month before is assessed once, by whichever claims the
// lease, and not again on later ticks of the same month.
func TestAssessControlsMonthlyOnceAcrossReplicas(t *testing.T) {
	s, clock := storetest.Open(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &jobs.Runner{Store: s, Log: log, Holder: "a", Interval: time.Millisecond}
	b := &jobs.Runner{Store: s, Log: log, Holder: "b", Interval: time.Millisecond}
	now := time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)
	var made []string
	for i := 0; i < 4; i++ {
		for _, r := range []*jobs.Runner{a, b} {
			clock.Advance(time.Second) // the lease expires: the guard is then the stored assessment
			x, err := r.StepAssessControls(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			if x != nil {
				made = append(made, x.ID+" "+x.Period.Name+" "+x.CreatedBy)
			}
		}
	}
	if len(made) != 1 || made[0] != "ASSESS-1 2026-10 system" {
		t.Fatalf("assessments made: %v, want one of 2026-10 by system", made)
	}
	clock.Advance(time.Second)
	x, err := a.StepAssessControls(ctx, now.AddDate(0, 1, 0))
	if err != nil || x == nil || x.Period.Name != "2026-11" {
		t.Fatalf("next month: %+v %v", x, err)
	}
}

package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fixgate/internal/analysis"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestTalliesAgreeWithCount: the tally the database computes of a stage's
// measurements (store.Tallies, what the engine decides from) is the tally
// of the measurements themselves, read one by one (analysis.Count over
// ListMeasurements), for random sequences of outcomes: runs of errors
// broken or not by rows of another check or stage, failures, inconclusive
// results, times that repeat (a clock that did not move) and times that go
// back (another replica's clock).
func TestTalliesAgreeWithCount(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	id := engRunning(t, s, "REL-1", "prod-eu")
	rnd := rand.New(rand.NewPCG(11, 7))
	outcomes := []string{analysis.Successful, analysis.Successful, analysis.Error, analysis.Error, analysis.Failed, analysis.Inconclusive}
	stages, checks := []string{"canary", "full"}, []store.CheckKey{{Template: "health", Check: "errors"}, {Template: "health", Check: "latency"}}
	at := clock.T.Add(-time.Hour)
	for round := range 25 {
		var ms []analysis.Measurement
		for i := range rnd.IntN(30) {
			switch rnd.IntN(4) {
			case 0: // the same time again
			case 1:
				at = at.Add(-time.Duration(rnd.IntN(3)) * time.Second)
			default:
				at = at.Add(time.Duration(rnd.IntN(2000)) * time.Millisecond)
			}
			k := checks[rnd.IntN(len(checks))]
			ms = append(ms, analysis.Measurement{Deployment: "DEP-1", Stage: stages[rnd.IntN(len(stages))], Template: k.Template,
				Check: k.Check, Kind: "prometheus", At: at, Outcome: outcomes[rnd.IntN(len(outcomes))],
				Message: fmt.Sprintf("round %d measurement %d", round, i)})
		}
		if err := s.RecordMeasurements(ctx, depPipe, id, ms); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListMeasurements(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, stage := range append(stages, "watch") {
			want := map[store.CheckKey]analysis.Tally{}
			for _, k := range checks {
				var of []analysis.Measurement
				for _, m := range all {
					if m.Stage == stage && m.Template == k.Template && m.Check == k.Check {
						of = append(of, m)
					}
				}
				if len(of) > 0 {
					want[k] = analysis.Count(of)
				}
			}
			got, err := s.Tallies(ctx, id, stage)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("round %d, stage %s: tallies differ (-counted +database):\n%s", round, stage, d)
			}
		}
	}
}

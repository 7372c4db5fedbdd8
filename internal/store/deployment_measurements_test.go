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

// TestTalliesAgreeWithCount: the tally kept in the database as each
// measurement is stored (store.Tallies, what the engine decides from) is
// the tally of the measurements themselves, read one by one (analysis.Count
// over ListMeasurements), for random sequences of outcomes: runs of errors
// broken or not by rows of another check or stage, failures, inconclusive
// results, times that repeat (a clock that did not move) and times that go
// back (another replica's clock). Then the migration that introduced the
// tallies computes the same from the measurements stored before it.
func TestTalliesAgreeWithCount(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	id := engRunning(t, s, "REL-1", "prod-eu")
	rnd := rand.New(rand.NewPCG(11, 7))
	at := clock.T.Add(-time.Hour)
	for round := range 25 {
		if err := s.RecordMeasurements(ctx, depPipe, id, randomMeasurements(rnd, round, &at)); err != nil {
			t.Fatal(err)
		}
		tallyCompare(t, s, id, fmt.Sprint("round ", round))
	}
	// the latest time taken twice, by an error and another outcome, in both orders
	at = at.Add(time.Hour)
	var tie []analysis.Measurement
	for i, outcomes := range [][]string{{analysis.Error, analysis.Successful}, {analysis.Successful, analysis.Error}} {
		for _, o := range outcomes {
			tie = append(tie, analysis.Measurement{Deployment: "DEP-1", Stage: "full", Template: tallyChecks[i].Template,
				Check: tallyChecks[i].Check, Kind: "prometheus", At: at, Outcome: o, Message: "tie"})
		}
	}
	if err := s.RecordMeasurements(ctx, depPipe, id, tie); err != nil {
		t.Fatal(err)
	}
	tallyCompare(t, s, id, "a tie at the latest time")
	if err := s.RedoMigration(ctx, "measurement_tallies"); err != nil {
		t.Fatal(err)
	}
	tallyCompare(t, s, id, "the migration")
}

var (
	tallyStages = []string{"canary", "full"}
	tallyChecks = []store.CheckKey{{Template: "health", Check: "errors"}, {Template: "health", Check: "latency"}}
)

// randomMeasurements returns up to 30 measurements of tallyChecks at
// tallyStages, taken from *at on.
func randomMeasurements(rnd *rand.Rand, round int, at *time.Time) []analysis.Measurement {
	outcomes := []string{analysis.Successful, analysis.Successful, analysis.Error, analysis.Error, analysis.Failed, analysis.Inconclusive}
	var ms []analysis.Measurement
	for i := range rnd.IntN(30) {
		switch rnd.IntN(4) {
		case 0: // the same time again
		case 1:
			*at = at.Add(-time.Duration(rnd.IntN(3)) * time.Second)
		default:
			*at = at.Add(time.Duration(rnd.IntN(2000)) * time.Millisecond)
		}
		k := tallyChecks[rnd.IntN(len(tallyChecks))]
		ms = append(ms, analysis.Measurement{Deployment: "DEP-1", Stage: tallyStages[rnd.IntN(len(tallyStages))], Template: k.Template,
			Check: k.Check, Kind: "prometheus", At: *at, Outcome: outcomes[rnd.IntN(len(outcomes))],
			Message: fmt.Sprintf("round %d measurement %d", round, i)})
	}
	return ms
}

// tallyCompare fails the test when the tallies stored for deployment id
// differ from those of its measurements, at every stage.
func tallyCompare(t *testing.T, s *store.Store, id int64, when string) {
	t.Helper()
	ctx := context.Background()
	all, err := s.ListMeasurements(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, stage := range append(tallyStages, "watch") {
		want := map[store.CheckKey]analysis.Tally{}
		for _, k := range tallyChecks {
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
			t.Fatalf("%s, stage %s: tallies differ (-counted +stored):\n%s", when, stage, d)
		}
	}
}

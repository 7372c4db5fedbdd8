package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestDeviationBoundsReachTheGate: a deviation recorded for [from, to)
// is stored with its bounds, the gate input carries them, and the gate
// counts it only inside them; to not after from is refused naming "to".
func TestDeviationBoundsReachTheGate(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	mustDo(t, func() error {
		_, err := s.UpdateEnvironment(ctx, alice, "prod-eu", 0, func(e *environment.Environment) error {
			e.Windows = []environment.Window{{Name: "office", TimeZone: "UTC", Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}}
			return nil
		})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateRelease(ctx, alice, release.Release{Version: "2.0.0", Type: release.Feature})
		return err
	})
	mustDo(t, func() error {
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "deploy", Type: change.Normal, Release: "REL-1", Env: "prod-eu"})
		return err
	})
	sat := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC) // a Saturday, outside the window
	from, to := sat.Add(-time.Hour), sat.Add(2*time.Hour)
	_, err := s.UpdateChange(ctx, alice, 1, 0, "change.deviation", func(c *change.Change, cc store.ChangeContext) error {
		return c.AddBoundedDeviation("maintenance_window", "weekend hotfix", "bob", &to, &from, cc.Now)
	})
	if fe := fault.As(err); fe == nil || fe.Field != "to" {
		t.Fatalf("to before from: %v", err)
	}
	mustDo(t, func() error {
		_, err := s.UpdateChange(ctx, alice, 1, 0, "change.deviation", func(c *change.Change, cc store.ChangeContext) error {
			return c.AddBoundedDeviation("maintenance_window", "weekend hotfix", "bob", &from, &to, cc.Now)
		})
		return err
	})
	got, err := s.GetChange(ctx, 1)
	if err != nil || len(got.Deviations) != 1 || got.Deviations[0].From == nil || !got.Deviations[0].From.Equal(from) || !got.Deviations[0].To.Equal(to) {
		t.Fatalf("stored deviation: %+v %v", got.Deviations, err)
	}
	pol := policy.Default()
	for at, want := range map[time.Time]string{sat: gate.Warn, to: gate.Fail, from.Add(-time.Minute): gate.Fail} {
		in, _, err := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: at}, pol)
		if err != nil {
			t.Fatal(err)
		}
		v := gate.Evaluate(pol, in, at)
		if r := v.RuleResult(gate.RuleMaintenanceWindow); r != want {
			t.Errorf("at %s: maintenance_window %s, want %s (%+v)", at.Format(time.RFC3339), r, want, v.Rules)
		}
	}
}

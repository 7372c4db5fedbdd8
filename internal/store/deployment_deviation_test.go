package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestStartUnderDeviation: a freeze blocks the start; naming an approved
// deviation of the change for maintenance_window lets it start (the rule
// warns), logged; a deviation id that does not exist, of another change,
// or malformed is refused naming "deviation" and writes nothing.
func TestStartUnderDeviation(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	approveRel(t, s, 1, "REL-1")
	if _, err := s.CreateChange(ctx, alice, change.Change{Title: "deploy", Type: change.Normal, Release: "REL-1", Env: "prod-eu"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateEnvironment(ctx, alice, "prod-eu", 0, func(e *environment.Environment) error {
		e.Freezes = append(e.Freezes, environment.Freeze{Name: "peak", Start: clock.T.Add(-time.Hour), End: clock.T.Add(time.Hour), Reason: "sale"})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pol := storetest.OpenPolicy()
	pol.Gate.Rules.MaintenanceWindow.Enabled = true
	// without the deviation the freeze blocks
	d, ev := engStart(t, s, pol, store.StartRequest{Release: "REL-1", Env: "prod-eu", Change: "CHG-1"})
	if ev.Decision != gate.Blocked || d.Status != deploy.Blocked {
		t.Fatalf("frozen start: %s %s", ev.Decision, d.Status)
	}
	if _, err := s.UpdateChange(ctx, alice, 1, 0, "change.deviation", func(c *change.Change, cc store.ChangeContext) error {
		return c.AddDeviation("maintenance_window", "fix the outage during the sale", "bob", cc.Now)
	}); err != nil {
		t.Fatal(err)
	}
	n0 := depAuditCount(t, s)
	for _, r := range []store.StartRequest{
		{Release: "REL-1", Env: "prod-eu", Deviation: "CHG-1#2"},
		{Release: "REL-1", Env: "prod-eu", Deviation: "CHG-1"},
		{Release: "REL-1", Env: "prod-eu", Deviation: "CHG-9#1", Change: "CHG-1"},
	} {
		_, _, err := s.StartDeployment(ctx, depPipe, r, pol, 0)
		if fe := fault.As(err); fe == nil || fe.Field != "deviation" {
			t.Errorf("%+v: %v, want Invalid naming deviation", r, err)
		}
	}
	if n := depAuditCount(t, s); n != n0 {
		t.Fatalf("refused starts wrote %d audit events", n-n0)
	}
	d, ev = engStart(t, s, pol, store.StartRequest{Release: "REL-1", Env: "prod-eu", Deviation: "chg-1#1"})
	if ev.Decision != gate.Allowed || d.Status != deploy.Running || d.Change != "CHG-1" || ev.Verdict.RuleResult(gate.RuleMaintenanceWindow) != gate.Warn {
		t.Fatalf("start under deviation: %s %s %s %s", ev.Decision, d.Status, d.Change, ev.Verdict.RuleResult(gate.RuleMaintenanceWindow))
	}
	evs, err := s.ListDeploymentEvents(ctx, depNum(t, d.ID), store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var logged bool
	for _, e := range evs {
		logged = logged || e.Kind == "deviation" && strings.Contains(e.Message, "CHG-1#1")
	}
	if !logged {
		t.Fatalf("the deviation is not in the log: %+v", evs)
	}
}

// TestStartRefusesChangedInputs: a release edited between the start's gate
// evaluation and its insert (here a new problem resolved by it, which voids
// its approvals) makes the start fail with 412 naming it; no deployment is
// stored. Without the check the deployment would run on a verdict about
// another content.
func TestStartRefusesChangedInputs(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	depNewRelease(t, s, release.Release{Version: "1.0.0", Type: release.Feature})
	approveRel(t, s, 1, "REL-1")
	store.SetAfterStartGate(func() {
		if _, err := s.UpdateRelease(ctx, alice, 1, 0, "release.update", func(r *release.Release) error {
			r.Notes = "edited while the gate was evaluating"
			return nil
		}); err != nil {
			t.Error(err)
		}
	})
	defer store.SetAfterStartGate(nil)
	_, _, err := s.StartDeployment(ctx, depPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu"}, storetest.OpenPolicy(), 0)
	if fault.CodeOf(err) != fault.PreconditionFailed || !strings.Contains(err.Error(), "REL-1") {
		t.Fatalf("start after an edit: %v, want 412 naming REL-1", err)
	}
	if ds, _ := s.ListDeployments(ctx, store.DeploymentFilter{}); len(ds) != 0 {
		t.Fatalf("a deployment was stored: %+v", ds)
	}
	store.SetAfterStartGate(nil)
	if _, _, err := s.StartDeployment(ctx, depPipe, store.StartRequest{Release: "REL-1", Env: "prod-eu"}, storetest.OpenPolicy(), 0); err != nil {
		t.Fatalf("start again: %v", err)
	}
}

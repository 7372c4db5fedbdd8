package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/ci"
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

// peerPolicy makes every risk class need one peer approval.
const peerPolicy = "approvals: {low: [{role: peer}], medium: [{role: peer}], high: [{role: peer}], critical: [{role: peer}]}\n"

func refusedEvents(t *testing.T, s *store.Store, recordType, id string) int {
	t.Helper()
	evs, err := s.AuditEventsFor(context.Background(), recordType, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Action == recordType+".move_refused" {
			n++
		}
	}
	return n
}

// TestReleaseApprovedOnlyByApprovals: a hand move to approved is refused
// (PreconditionFailed listing what is missing, audited, nothing else
// written) until the approvals are there; lifecycle moves keep the approval
// current for the verdict and the gate; a content edit voids it.
func TestReleaseApprovedOnlyByApprovals(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	ctx := context.Background()
	mustDo(t, func() error { _, _, err := s.SavePolicy(ctx, alice, peerPolicy, "sha256:peer", 0); return err })
	for _, v := range []string{"1.0.0", "1.0.1"} {
		mustDo(t, func() error {
			_, err := s.CreateComponent(ctx, alice, ci.Version{CI: "checkout-api", Version: v})
			return err
		})
	}
	depNewRelease(t, s, release.Release{Version: "2.0.0", Type: release.Feature, Components: []string{"checkout-api@1.0.0"}})
	move := func(rev int64, to string) (release.Release, error) {
		return s.UpdateRelease(ctx, alice, 1, rev, "release.move", func(r *release.Release) error { return r.Move(to) })
	}
	n0 := auditCount(t, s)
	_, err := move(1, release.Approved)
	fe := fault.As(err)
	if fe == nil || fe.Code != fault.PreconditionFailed || !strings.Contains(fe.Message, "needs 1 more peer approval") || len(fe.Extra["missing"].([]string)) != 1 {
		t.Fatalf("hand move to approved: %v", err)
	}
	if got, _ := s.GetRelease(ctx, 1); got.Status != release.Planned || got.Revision != 1 || auditCount(t, s) != n0+1 ||
		refusedEvents(t, s, "release", "REL-1") != 1 {
		t.Fatalf("the refusal must write its audit event only: %+v, %d events", got, auditCount(t, s)-n0)
	}
	// the author's own approval does not count either
	if _, err := s.CreateApproval(ctx, aprActor("alice", auth.Engineer), approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); fault.CodeOf(err) != fault.Forbidden {
		t.Fatalf("author approves: %v", err)
	}
	mustDo(t, func() error {
		_, err := s.CreateApproval(ctx, bob, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0)
		return err
	})
	rev := int64(1)
	for _, to := range []string{release.Approved, release.Deploying, release.Deployed} {
		r, err := move(rev, to)
		if err != nil || r.Status != to {
			t.Fatalf("move to %s: %+v %v", to, r, err)
		}
		rev = r.Revision
		v, _ := s.ApprovalVerdict(ctx, "REL-1")
		in, _, err := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: storetest.Start}, mustPolicy(t, peerPolicy))
		if err != nil {
			t.Fatal(err)
		}
		gv := gate.Evaluate(mustPolicy(t, peerPolicy), in, storetest.Start)
		if len(v.Approvals) != 1 || v.Stale != 0 || gv.RuleResult(gate.RuleApprovals) != gate.Pass {
			t.Fatalf("%s: a lifecycle move must keep the approval: %+v / %+v", to, v, gv.Rules)
		}
	}
	// back to planned and edited: the approval is for other content
	for _, to := range []string{release.RolledBack, release.Planned} {
		r, err := move(rev, to)
		if err != nil {
			t.Fatal(err)
		}
		rev = r.Revision
	}
	mustDo(t, func() error {
		_, err := s.UpdateRelease(ctx, alice, 1, rev, "release.update", func(r *release.Release) error {
			r.Components = []string{"checkout-api@1.0.1"}
			return nil
		})
		return err
	})
	v, _ := s.ApprovalVerdict(ctx, "REL-1")
	in, _, _ := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: storetest.Start}, mustPolicy(t, peerPolicy))
	gv := gate.Evaluate(mustPolicy(t, peerPolicy), in, storetest.Start)
	if len(v.Approvals) != 0 || v.Stale != 1 || gv.RuleResult(gate.RuleApprovals) != gate.Fail {
		t.Fatalf("a content edit must void the approval: %+v / %+v", v, gv.Rules)
	}
	if _, err := move(rev+1, release.Approved); fault.CodeOf(err) != fault.PreconditionFailed || refusedEvents(t, s, "release", "REL-1") != 2 {
		t.Fatalf("move to approved after the edit: %v", err)
	}
}

// TestChangeAuthorizedOnlyByApprovals: a normal change leaves authorize for
// scheduled only with the approvals its risk class requires (the refusal is
// audited and writes nothing else); moving on keeps the approval current,
// moving the planned window voids it.
func TestChangeAuthorizedOnlyByApprovals(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	ctx := context.Background()
	mustDo(t, func() error { _, _, err := s.SavePolicy(ctx, alice, peerPolicy, "sha256:peer", 0); return err })
	depNewRelease(t, s, release.Release{Version: "2.0.0", Type: release.Feature})
	start, end := storetest.Start.Add(time.Hour), storetest.Start.Add(3*time.Hour)
	mustDo(t, func() error {
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "deploy", Type: change.Normal, Release: "REL-1", Env: "prod-eu",
			RiskClass: "high", PlannedStart: &start, PlannedEnd: &end})
		return err
	})
	move := func(to string) (change.Change, error) {
		return s.UpdateChange(ctx, alice, 1, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(to) })
	}
	for _, to := range []string{change.Assess, change.Authorize} {
		if _, err := move(to); err != nil {
			t.Fatal(err)
		}
	}
	n0 := auditCount(t, s)
	_, err := move(change.Scheduled)
	if fe := fault.As(err); fe == nil || fe.Code != fault.PreconditionFailed || !strings.Contains(fe.Message, "CHG-1 cannot move to scheduled") {
		t.Fatalf("unapproved authorisation: %v", err)
	}
	if got, _ := s.GetChange(ctx, 1); got.Status != change.Authorize || got.Revision != 3 || auditCount(t, s) != n0+1 ||
		refusedEvents(t, s, "change", "CHG-1") != 1 {
		t.Fatalf("the refusal must write its audit event only: %+v", got)
	}
	mustDo(t, func() error {
		_, err := s.CreateApproval(ctx, aprActor("carol", auth.CABMember), approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0)
		return err
	})
	if _, err := move(change.Scheduled); err != nil {
		t.Fatalf("approved authorisation: %v", err)
	}
	if v, _ := s.ApprovalVerdict(ctx, "CHG-1"); len(v.Approvals) != 1 || v.Stale != 0 {
		t.Fatalf("the move must keep the approval: %+v", v)
	}
	later := end.Add(time.Hour)
	mustDo(t, func() error {
		_, err := s.UpdateChange(ctx, alice, 1, 0, "change.update", func(c *change.Change, _ store.ChangeContext) error {
			before := *c
			c.PlannedEnd = &later
			return c.CheckEdit(before)
		})
		return err
	})
	if v, _ := s.ApprovalVerdict(ctx, "CHG-1"); len(v.Approvals) != 0 || v.Stale != 1 {
		t.Fatalf("a new window must void the approval: %+v", v)
	}
	// a change that names no environment cannot be authorised
	mustDo(t, func() error {
		_, err := s.CreateChange(ctx, alice, change.Change{Title: "somewhere", Type: change.Normal, Release: "REL-1", RiskClass: "low",
			PlannedStart: &start, PlannedEnd: &end})
		return err
	})
	for _, to := range []string{change.Assess, change.Authorize} {
		if _, err := s.UpdateChange(ctx, alice, 2, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(to) }); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.UpdateChange(ctx, alice, 2, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(change.Scheduled) })
	if fault.CodeOf(err) != fault.PreconditionFailed || !strings.Contains(err.Error(), "name the release and the environment") {
		t.Fatalf("authorising a change without environment: %v", err)
	}
}

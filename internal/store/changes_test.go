package store_test

import (
	"context"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func TestCreateChangeUnknownReferencesWriteNothing(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	n0 := relAuditCount(t, s)
	_, err := s.CreateChange(ctx, alice, change.Change{Title: "Deploy", Type: change.Normal, Release: "REL-7"})
	relWantField(t, err, "release")
	_, err = s.CreateChange(ctx, alice, change.Change{Title: "Deploy", Type: change.Normal, Env: "moon"})
	relWantField(t, err, "env")
	_, err = s.CreateChange(ctx, alice, change.Change{Title: "Deploy", Type: "urgent"})
	relWantField(t, err, "type")
	start := storetest.Start
	_, err = s.CreateChange(ctx, alice, change.Change{Title: "Deploy", Type: change.Normal, PlannedStart: &start, PlannedEnd: &start})
	relWantField(t, err, "planned_end")
	list, _ := s.ListChanges(ctx, store.ChangeFilter{})
	if len(list) != 0 || relAuditCount(t, s) != n0 {
		t.Fatalf("refused creates wrote %d changes, %d events", len(list), relAuditCount(t, s)-n0)
	}
}

func TestChangeLifecycleEditsAndDeviations(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "2.0.0", Type: release.Feature}); err != nil {
		t.Fatal(err)
	}
	start, end := storetest.Start.Add(24*time.Hour), storetest.Start.Add(26*time.Hour)
	c, err := s.CreateChange(ctx, alice, change.Change{Title: "Deploy 2.0.0", Type: change.Normal, Release: "rel-1", Env: "prod-eu"})
	if err != nil || c.ID != "CHG-1" || c.Status != change.Draft || c.RequestedBy != "alice" || c.Release != "REL-1" || c.RiskClass != "" {
		t.Fatalf("create: %+v %v", c, err)
	}
	got, err := s.GetChange(ctx, 1)
	if err != nil || got.Env != "prod-eu" || got.Release != "REL-1" || got.PlannedStart != nil || len(got.Deviations) != 0 {
		t.Fatalf("get: %+v %v", got, err)
	}
	move := func(rev int64, to string) (change.Change, error) {
		return s.UpdateChange(ctx, alice, 1, rev, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(to) })
	}
	if _, err := move(1, change.Assess); err != nil {
		t.Fatal(err)
	}
	_, err = move(2, change.Authorize) // no risk class yet
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = move(2, change.Scheduled) // normal changes cannot skip authorize
	relWantCode(t, err, fault.Conflict)
	up, err := s.UpdateChange(ctx, alice, 1, 2, "change.update", func(c *change.Change, _ store.ChangeContext) error {
		before := *c
		c.RiskClass, c.PlannedStart, c.PlannedEnd = "high", &start, &end
		return c.CheckEdit(before)
	})
	if err != nil || up.RiskClass != "high" || !up.PlannedStart.Equal(start) || up.Revision != 3 {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = s.UpdateChange(ctx, alice, 1, 2, "change.update", func(c *change.Change, _ store.ChangeContext) error { return nil })
	relWantCode(t, err, fault.PreconditionFailed) // stale
	_, err = s.UpdateChange(ctx, alice, 1, 3, "change.update", func(c *change.Change, _ store.ChangeContext) error {
		c.Env = "nowhere"
		return nil
	})
	relWantField(t, err, "env")
	// authorisation needs the approvals of the risk class (medium: two peers)
	if _, _, err := s.CreateUser(ctx, alice, auth.User{Name: "cleo", Roles: []auth.Role{auth.CABMember}}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []audit.Actor{bob, {User: "cleo", Role: "cab_member"}} {
		if _, err := s.CreateApproval(ctx, who, approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i, to := range []string{change.Authorize, change.Scheduled} {
		if _, err := move(int64(4+i-1), to); err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
	}
	_, err = s.UpdateChange(ctx, alice, 1, 5, "change.update", func(c *change.Change, _ store.ChangeContext) error {
		before := *c
		c.RiskClass = "low"
		return c.CheckEdit(before)
	})
	relWantCode(t, err, fault.Conflict) // assessed fields are frozen once authorised

	clock.Advance(time.Hour)
	dev := func(rev int64, approver string) (change.Change, error) {
		return s.UpdateChange(ctx, alice, 1, rev, "change.deviation", func(c *change.Change, cc store.ChangeContext) error {
			return c.AddDeviation("maintenance_window", "hotfix outside the window", approver, cc.Now)
		})
	}
	n0 := relAuditCount(t, s)
	_, err = dev(5, "alice")
	relWantField(t, err, "approved_by") // self-approval
	_, err = dev(5, "carol")
	relWantField(t, err, "approved_by") // not a user
	if relAuditCount(t, s) != n0 {
		t.Fatal("refused deviations were audited")
	}
	d, err := dev(5, "bob")
	if err != nil || len(d.Deviations) != 1 || d.Deviations[0].ApprovedBy != "bob" || !d.Deviations[0].At.Equal(clock.T) {
		t.Fatalf("deviation: %+v %v", d, err)
	}
	got, _ = s.GetChange(ctx, 1)
	if got.Status != change.Scheduled || got.Revision != 6 || len(got.Deviations) != 1 || got.Deviations[0].Reason != "hotfix outside the window" {
		t.Fatalf("stored: %+v", got)
	}
	for i, to := range []string{change.Implement, change.Review, change.Closed} {
		if _, err := move(int64(6+i), to); err != nil {
			t.Fatalf("move to %s: %v", to, err)
		}
	}
	_, err = dev(0, "bob")
	relWantCode(t, err, fault.Conflict) // final
	events, _ := s.AuditEventsFor(ctx, "change", "CHG-1", 50)
	if len(events) != 9 { // create, assess, update, authorize, scheduled, deviation, implement, review, closed
		t.Fatalf("want 9 change events, got %d", len(events))
	}
}

func TestStandardChangeSkipsAuthorizeAndListFilters(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	start, end := storetest.Start.Add(time.Hour), storetest.Start.Add(2*time.Hour)
	for i := 0; i < 3; i++ {
		typ := change.Standard
		if i == 2 {
			typ = change.Emergency
		}
		if _, err := s.CreateChange(ctx, alice, change.Change{Title: "Rotate certs", Type: typ, Env: "prod-eu", RiskClass: "low",
			PlannedStart: &start, PlannedEnd: &end}); err != nil {
			t.Fatal(err)
		}
	}
	for _, to := range []string{change.Assess, change.Scheduled} {
		if _, err := s.UpdateChange(ctx, alice, 1, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(to) }); err != nil {
			t.Fatalf("standard change to %s: %v", to, err)
		}
	}
	if l, _ := s.ListChanges(ctx, store.ChangeFilter{Status: change.Scheduled}); len(l) != 1 || l[0].ID != "CHG-1" {
		t.Fatalf("by status: %+v", l)
	}
	if l, _ := s.ListChanges(ctx, store.ChangeFilter{Type: change.Emergency}); len(l) != 1 || l[0].ID != "CHG-3" {
		t.Fatalf("by type: %+v", l)
	}
	p1, _ := s.ListChanges(ctx, store.ChangeFilter{Env: "prod-eu", Page: store.Page{Limit: 2}})
	p2, _ := s.ListChanges(ctx, store.ChangeFilter{Env: "prod-eu", Page: store.Page{Limit: 2, After: 2}})
	if len(p1) != 2 || len(p2) != 1 || p2[0].ID != "CHG-3" {
		t.Fatalf("paging: %+v %+v", p1, p2)
	}
}

package cab

import (
	"slices"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// The lifecycle: scheduled → held → closed, scheduled → canceled; a held
// meeting cannot be canceled nor a scheduled one closed; canceling needs a
// reason and closing the minutes; both ends are final.
func TestMove(t *testing.T) {
	now := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	m := Record{ID: "CAB-1", Status: Scheduled}
	for _, c := range []struct{ to, comment string }{{Closed, "minutes"}, {"done", ""}} {
		x := m
		if err := x.Move(c.to, c.comment, now); err == nil || x.Status != Scheduled {
			t.Fatalf("scheduled → %s: %v", c.to, err)
		}
	}
	if err := (&Record{Status: Scheduled}).Move("done", "", now); fault.As(err) == nil || fault.As(err).Field != "status" {
		t.Fatalf("unknown state: %v", err)
	}
	x := m
	if err := x.Move(Canceled, "  ", now); fault.As(err) == nil || fault.As(err).Field != "comment" || x.Status != Scheduled {
		t.Fatalf("cancel without a reason: %v", err)
	}
	if err := x.Move(Canceled, " room double-booked ", now); err != nil || x.Status != Canceled || x.CancelReason != "room double-booked" ||
		!x.CanceledAt.Equal(now) || x.HeldAt != nil {
		t.Fatalf("cancel: %+v %v", x, err)
	}
	if err := x.Move(Held, "", now); fault.CodeOf(err) != fault.Conflict || len(fault.As(err).Extra["allowed_moves"].([]string)) != 0 {
		t.Fatalf("canceled is final: %v", err)
	}
	if err := m.Move(Held, "", now); err != nil || m.Status != Held || !m.HeldAt.Equal(now) {
		t.Fatalf("held: %+v %v", m, err)
	}
	err := m.Move(Canceled, "too late", now)
	if e := fault.As(err); e == nil || e.Code != fault.Conflict || e.Extra["current_status"] != Held ||
		!slices.Equal(e.Extra["allowed_moves"].([]string), []string{Closed}) {
		t.Fatalf("held → canceled: %v", err)
	}
	if err := m.Move(Closed, "", now); fault.As(err) == nil || fault.As(err).Field != "comment" || m.Status != Held {
		t.Fatalf("close without minutes: %v", err)
	}
	later := now.Add(2 * time.Hour)
	if err := m.Move(Closed, "https://wiki/cab/2026-12-01", later); err != nil || m.Status != Closed || !m.ClosedAt.Equal(later) ||
		m.Minutes != "https://wiki/cab/2026-12-01" || !m.HeldAt.Equal(now) {
		t.Fatalf("close: %+v %v", m, err)
	}
}

// Edits: anything while scheduled; not the date once held; nothing once
// canceled or closed (Conflict naming the status).
func TestCheckEdit(t *testing.T) {
	at := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	before := Record{ID: "CAB-1", Status: Scheduled, ScheduledAt: at, Attendees: []string{"cab"}}
	moved := before
	moved.ScheduledAt, moved.Attendees = at.Add(time.Hour), []string{"cab", "pm"}
	if err := moved.CheckEdit(before); err != nil {
		t.Fatalf("reschedule: %v", err)
	}
	before.Status = Held
	if err := moved.CheckEdit(before); fault.As(err) == nil || fault.As(err).Field != "scheduled_at" {
		t.Fatalf("reschedule a held meeting: %v", err)
	}
	moved.ScheduledAt = at
	if err := moved.CheckEdit(before); err != nil {
		t.Fatalf("a late attendee: %v", err)
	}
	for _, st := range []string{Canceled, Closed} {
		before.Status = st
		if err := moved.CheckEdit(before); fault.CodeOf(err) != fault.Conflict || fault.As(err).Extra["current_status"] != st {
			t.Fatalf("edit %s: %v", st, err)
		}
	}
}

// Decisions are taken while the meeting is scheduled or held only.
func TestDecisionNeedsOpenMeeting(t *testing.T) {
	pol := policy.Default()
	roles := map[string][]string{"cab": {"cab_member"}}
	items := []Item{{Change: "CHG-3", RiskClass: "critical"}}
	for st, ok := range map[string]bool{Scheduled: true, Held: true, Canceled: false, Closed: false} {
		m := Record{ID: "CAB-1", Status: st, Attendees: []string{"cab"}}
		_, err := CheckDecision(m, BuildAgenda(pol, m, items, roles), "CHG-3", "cab", roles)
		if ok != (err == nil) || !ok && (fault.CodeOf(err) != fault.Conflict || fault.As(err).Extra["current_status"] != st) {
			t.Errorf("decide while %s: %v", st, err)
		}
	}
}

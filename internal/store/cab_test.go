package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/auth"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// cabMeeting creates CAB-n scheduled by rm with attendees.
func cabMeeting(t *testing.T, s *store.Store, attendees ...string) cab.Record {
	t.Helper()
	m, err := s.CreateMeeting(context.Background(), aprActor("rm", auth.ReleaseManager), cab.Record{Title: "weekly CAB",
		ScheduledAt: storetest.Start.Add(24 * time.Hour), Attendees: attendees})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A meeting is held, then closed with its minutes: a problem_manager who
// joins late lets it approve a problem fix, the date is fixed once held, a
// decider stays an attendee, a stale revision answers 412, an illegal move
// 409, and a closed meeting decides and changes nothing. Every write is
// audited and the chain verifies; refusals write nothing.
func TestCABMeetingHeldThenClosed(t *testing.T) {
	s, clock := storetest.Open(t)
	aprSeed(t, s)
	aprFixRelease(t, s)
	ctx := context.Background()
	depExec(t, s, `INSERT INTO changes (title, type, release_id, env, status, risk_class, requested_by, rev, created_at, updated_at)
		VALUES ('deploy fix', 'normal', 1, 'prod-eu', 'authorize', 'high', 'alice', 3, $1, $1)`, storetest.Start.Format(time.RFC3339))
	rm, carol, pol := aprActor("rm", auth.ReleaseManager), aprActor("carol", auth.CABMember), policy.Default()
	m := cabMeeting(t, s, "carol")
	decide := func() error {
		_, err := s.DecideInMeeting(ctx, carol, 1, pol, approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0)
		return err
	}
	wantCode := func(what string, err error, code fault.Code) {
		t.Helper()
		if fault.CodeOf(err) != code {
			t.Fatalf("%s: %v, want %s", what, err, code)
		}
	}
	n0, a0 := aprCount(t, s)
	wantCode("a fix without a problem manager", decide(), fault.PreconditionFailed)
	addErin := func(m *cab.Record) error { m.Attendees = append(m.Attendees, "erin"); return nil }
	_, err := s.UpdateMeeting(ctx, rm, 1, 2, addErin)
	wantCode("stale update", err, fault.PreconditionFailed)
	_, err = s.MoveMeeting(ctx, rm, 1, 1, cab.Closed, "minutes")
	wantCode("scheduled → closed", err, fault.Conflict)
	if n, a := aprCount(t, s); n != n0 || a != a0 {
		t.Fatal("refusals wrote")
	}
	clock.Advance(time.Hour)
	if m, err = s.MoveMeeting(ctx, rm, 1, 1, cab.Held, "quorum reached"); err != nil || m.Status != cab.Held || !m.HeldAt.Equal(clock.T) || m.Revision != 2 {
		t.Fatalf("held: %+v %v", m, err)
	}
	_, err = s.UpdateMeeting(ctx, rm, 1, 2, func(m *cab.Record) error { m.ScheduledAt = m.ScheduledAt.Add(time.Hour); return nil })
	wantCode("reschedule a held meeting", err, fault.Conflict)
	if m, err = s.UpdateMeeting(ctx, rm, 1, 2, addErin); err != nil || !slices.Equal(m.Attendees, []string{"carol", "erin"}) || m.Revision != 3 {
		t.Fatalf("late problem manager: %+v %v", m, err)
	}
	if err := decide(); err != nil {
		t.Fatalf("decide while held: %v", err)
	}
	_, err = s.UpdateMeeting(ctx, rm, 1, 3, func(m *cab.Record) error { m.Attendees = []string{"erin"}; return nil })
	if e := fault.As(err); e == nil || e.Code != fault.Conflict || e.Field != "attendees" || !strings.Contains(e.Message, "carol") {
		t.Fatalf("remove a decider: %v", err)
	}
	_, err = s.MoveMeeting(ctx, rm, 1, 3, cab.Closed, " ")
	wantCode("close without minutes", err, fault.Invalid)
	if m, err = s.MoveMeeting(ctx, rm, 1, 3, cab.Closed, "wiki/cab-1"); err != nil || m.Minutes != "wiki/cab-1" || m.ClosedAt == nil {
		t.Fatalf("close: %+v %v", m, err)
	}
	n1, a1 := aprCount(t, s)
	wantCode("decide in a closed meeting", decide(), fault.Conflict)
	_, err = s.UpdateMeeting(ctx, rm, 1, 4, addErin)
	wantCode("edit a closed meeting", err, fault.Conflict)
	_, err = s.MoveMeeting(ctx, rm, 1, 0, cab.Held, "")
	wantCode("reopen", err, fault.Conflict)
	if n, a := aprCount(t, s); n != n1 || a != a1 || n1 != n0+1 {
		t.Fatalf("approvals %d → %d → %d, audit %d → %d", n0, n1, n, a1, a)
	}
	got, err := s.GetMeeting(ctx, 1)
	if err != nil || got.Status != cab.Closed || !got.HeldAt.Equal(m.HeldAt.UTC()) || !got.ClosedAt.Equal(clock.T) || got.Minutes != "wiki/cab-1" || got.Revision != 4 {
		t.Fatalf("stored %+v %v", got, err)
	}
	if acts := sigActions(t, s, "cab_meeting", "CAB-1"); !slices.Equal(acts, []string{"cab.create", "cab.move", "cab.update", "cab.move"}) {
		t.Fatalf("audit %v", acts)
	}
	if evs, err := s.AuditEventsFor(ctx, "cab_meeting", "CAB-1", 10); err != nil || !strings.Contains(evs[1].After, `"comment":"quorum reached"`) ||
		!strings.Contains(evs[1].Before, `"status":"scheduled"`) {
		t.Fatalf("the move's audit event keeps the comment: %+v %v", evs, err)
	}
}

// Canceling needs a reason, is final, and a canceled meeting decides
// nothing.
func TestCABMeetingCanceled(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	ctx := context.Background()
	rm := aprActor("rm", auth.ReleaseManager)
	cabMeeting(t, s, "carol")
	a0 := depAuditCount(t, s)
	if _, err := s.MoveMeeting(ctx, rm, 1, 0, cab.Canceled, ""); fault.As(err) == nil || fault.As(err).Field != "comment" {
		t.Fatalf("cancel without a reason: %v", err)
	}
	if _, err := s.MoveMeeting(ctx, rm, 2, 0, cab.Held, ""); fault.CodeOf(err) != fault.NotFound {
		t.Fatalf("unknown meeting: %v", err)
	}
	if a := depAuditCount(t, s); a != a0 {
		t.Fatal("refusals wrote")
	}
	m, err := s.MoveMeeting(ctx, rm, 1, 1, cab.Canceled, "no quorum")
	if err != nil || m.Status != cab.Canceled || m.CancelReason != "no quorum" || m.CanceledAt == nil || m.HeldAt != nil {
		t.Fatalf("cancel: %+v %v", m, err)
	}
	_, err = s.DecideInMeeting(ctx, aprActor("carol", auth.CABMember), 1, policy.Default(),
		approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0)
	if e := fault.As(err); e == nil || e.Code != fault.Conflict || e.Extra["current_status"] != cab.Canceled {
		t.Fatalf("decide in a canceled meeting: %v", err)
	}
	if l, err := s.ListMeetings(ctx, store.Page{}); err != nil || len(l) != 1 || l[0].CancelReason != "no quorum" {
		t.Fatalf("list %+v %v", l, err)
	}
	if a := depAuditCount(t, s); a != a0+1 {
		t.Fatalf("audit +%d, want 1", a-a0)
	}
}

// A decision racing the close of its meeting either commits before the
// close (earlier in the audit chain) or is refused: never an approval in a
// meeting that was already closed. On SQLite writers are serialised; on
// PostgreSQL this is what locking the meeting row first guarantees.
func TestCABDecisionRacingClose(t *testing.T) {
	s, _ := storetest.Open(t)
	aprSeed(t, s)
	aprFixRelease(t, s)
	ctx := context.Background()
	depExec(t, s, `INSERT INTO changes (title, type, release_id, env, status, risk_class, requested_by, rev, created_at, updated_at)
		VALUES ('deploy fix', 'normal', 1, 'prod-eu', 'authorize', 'high', 'alice', 3, $1, $1)`, storetest.Start.Format(time.RFC3339))
	rm, carol, pol := aprActor("rm", auth.ReleaseManager), aprActor("carol", auth.CABMember), policy.Default()
	for i := int64(1); i <= 20; i++ {
		cabMeeting(t, s, "carol", "erin")
		if _, err := s.MoveMeeting(ctx, rm, i, 0, cab.Held, ""); err != nil {
			t.Fatal(err)
		}
		start := make(chan struct{})
		var x approval.Approval
		var decideErr, closeErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			x, decideErr = s.DecideInMeeting(ctx, carol, i, pol, approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0)
		}()
		go func() {
			defer wg.Done()
			<-start
			_, closeErr = s.MoveMeeting(ctx, rm, i, 0, cab.Closed, "minutes")
		}()
		close(start)
		wg.Wait()
		if closeErr != nil {
			t.Fatalf("close CAB-%d: %v", i, closeErr)
		}
		if decideErr != nil {
			if fault.CodeOf(decideErr) != fault.Conflict {
				t.Fatalf("decide in CAB-%d: %v", i, decideErr)
			}
			continue
		}
		dec, err1 := s.AuditEventsFor(ctx, "approval", x.ID, 1)
		mv, err2 := s.AuditEventsFor(ctx, "cab_meeting", cab.Meeting.Format(i), 10)
		if err1 != nil || err2 != nil || len(dec) != 1 || len(mv) != 3 || dec[0].Seq > mv[2].Seq {
			t.Fatalf("CAB-%d: decision %+v committed after the close %+v (%v %v)", i, dec, mv, err1, err2)
		}
	}
	depAuditCount(t, s)
}

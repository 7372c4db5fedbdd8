package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/pir"
	"fixgate/internal/policy"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

const (
	heapItem = "heap profile before/after attached"
	soakItem = "soak test of at least 24h passed"
	poolItem = "connection pool metrics attached"
)

// checklistFixture: REL-1 (resolving PRB-1, live in prod-eu) and CHG-1, a
// memory-leak-patch change for it into prod-eu.
func checklistFixture(t *testing.T) (*store.Store, *storetest.Clock) {
	t.Helper()
	s, clock := storetest.Open(t)
	sigResolved(t, s, clock)
	if _, err := s.CreateChange(context.Background(), alice, change.Change{Title: "Deploy the leak fix", Type: change.Normal,
		Release: "REL-1", Env: "prod-eu", ChangeModel: "memory-leak-patch"}); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

func items(cl change.Checklist) []string {
	var out []string
	for _, it := range cl.Items {
		mark := " "
		if it.Ticked {
			mark = "x"
		}
		out = append(out, mark+" "+it.Item+" ("+it.Source+")")
	}
	return out
}

// TestChangeChecklistTickUntickAndAudit: a change carries its model's
// checklist (the policy's items, then those a completed review added);
// ticking is a compare-and-set on the change's revision that names who
// ticked, when and the evidence, audited on the change (its after-image:
// reconciliation stays clean) and on its checklist; the gate reads it.
func TestChangeChecklistTickUntickAndAudit(t *testing.T) {
	s, clock := checklistFixture(t)
	ctx := context.Background()
	pol := policy.Default()
	cl, err := s.ChangeChecklist(ctx, 1, pol)
	if err != nil || cl.Change != "CHG-1" || cl.Model != "memory-leak-patch" || cl.Revision != 1 || cl.FrozenAt != nil ||
		!slices.Equal(cl.Missing, []string{heapItem, soakItem}) {
		t.Fatalf("new change's checklist: %+v %v", cl, err)
	}
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1", Checklist: []string{poolItem, heapItem}}); err != nil {
		t.Fatal(err)
	}
	completePIR(t, s, 1)
	cl, _ = s.ChangeChecklist(ctx, 1, pol)
	if want := []string{"  " + heapItem + " (policy)", "  " + soakItem + " (policy)", "  " + poolItem + " (PIR-1)"}; !slices.Equal(items(cl), want) {
		t.Fatalf("after the review: %q, want %q", items(cl), want)
	}

	n0 := relAuditCount(t, s)
	_, err = s.CheckChangeItem(ctx, sigBob, 1, 7, heapItem, "", pol)
	relWantCode(t, err, fault.PreconditionFailed)
	_, err = s.CheckChangeItem(ctx, sigBob, 1, 1, "heap profile", "", pol)
	relWantField(t, err, "item")
	_, err = s.CheckChangeItem(ctx, sigBob, 1, 1, heapItem, strings.Repeat("x", change.MaxEvidence+1), pol)
	relWantField(t, err, "evidence")
	if relAuditCount(t, s) != n0 {
		t.Fatal("refused ticks were audited or written")
	}

	clock.Advance(time.Minute)
	cl, err = s.CheckChangeItem(ctx, sigBob, 1, 1, "  "+heapItem+" ", "https://wiki.example/heap-1.4.3", pol)
	if err != nil || cl.Revision != 2 || !slices.Equal(cl.Missing, []string{soakItem, poolItem}) {
		t.Fatalf("tick: %+v %v", cl, err)
	}
	it := cl.Items[0]
	if !it.Ticked || it.TickedBy != "bob" || !it.TickedAt.Equal(clock.T) || it.Evidence != "https://wiki.example/heap-1.4.3" {
		t.Fatalf("ticked item: %+v", it)
	}
	if c, _ := s.GetChange(ctx, 1); c.Revision != 2 || !c.UpdatedAt.Equal(clock.T) {
		t.Fatalf("the tick did not move the change's revision on: %+v", c)
	}
	_, err = s.CheckChangeItem(ctx, alice, 1, 2, heapItem, "", pol)
	relWantCode(t, err, fault.Conflict) // already ticked, by bob

	in, _, err := s.GateInput(ctx, store.GateQuery{Release: 1, Env: "prod-eu", At: clock.T}, pol)
	if err != nil || in.Change == nil || len(in.Change.Checklist) != 3 || in.Change.Checklist[0].TickedBy != "bob" ||
		in.Change.Checklist[1].Ticked || in.Change.Checklist[2].Source != "PIR-1" || in.Change.ChecklistFrozenAt != nil {
		t.Fatalf("gate input checklist: %+v %v", in.Change, err)
	}

	cl, err = s.UncheckChangeItem(ctx, alice, 1, 2, heapItem, pol)
	if err != nil || cl.Revision != 3 || len(cl.Missing) != 3 || cl.Items[0].Ticked {
		t.Fatalf("untick: %+v %v", cl, err)
	}
	_, err = s.UncheckChangeItem(ctx, alice, 1, 3, heapItem, pol)
	relWantCode(t, err, fault.Conflict) // not ticked

	if acts := sigActions(t, s, "change_checklist", "CHG-1"); !slices.Equal(acts, []string{"change.checklist_check", "change.checklist_uncheck"}) {
		t.Fatalf("checklist events: %v", acts)
	}
	evs, _ := s.AuditEventsFor(ctx, "change_checklist", "CHG-1", 10)
	var after change.ChecklistEntry
	if err := json.Unmarshal([]byte(evs[0].After), &after); err != nil || evs[0].Actor != "bob" || evs[0].RecordVersion != 2 ||
		after.Item != heapItem || after.TickedBy != "bob" || after.Evidence != "https://wiki.example/heap-1.4.3" {
		t.Fatalf("tick event: %+v %+v %v", evs[0], after, err)
	}
	if n := countActions(t, s, "change", "CHG-1", "change.checklist_uncheck"); n != 1 {
		t.Fatalf("%d change.checklist_uncheck events of the change, want 1", n)
	}
	if ms, err := s.ReconcileRecords(ctx); err != nil || len(ms) != 0 {
		t.Fatalf("reconcile after ticks: %+v %v", ms, err)
	}

	// Final changes keep their checklist as it was.
	if _, err := s.UpdateChange(ctx, alice, 1, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error {
		return c.Move(change.Canceled)
	}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CheckChangeItem(ctx, sigBob, 1, 0, soakItem, "", pol)
	relWantCode(t, err, fault.Conflict)
}

// TestChangeChecklistSeparationOfDuties: an approver of the change (or of
// its release) reviews the attestations and may not make one; the refusal
// writes nothing.
func TestChangeChecklistSeparationOfDuties(t *testing.T) {
	s, _ := checklistFixture(t)
	ctx := context.Background()
	pol := policy.Default()
	for _, u := range []auth.User{{Name: "cleo", Roles: []auth.Role{auth.CABMember, auth.Engineer}}, {Name: "rhea", Roles: []auth.Role{auth.Engineer}}} {
		if _, _, err := s.CreateUser(ctx, alice, u); err != nil {
			t.Fatal(err)
		}
	}
	cleo, rhea := audit.Actor{User: "cleo", Role: "cab_member"}, audit.Actor{User: "rhea", Role: "engineer"}
	if _, err := s.CreateApproval(ctx, cleo, approval.Approval{Record: "CHG-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateApproval(ctx, rhea, approval.Approval{Record: "REL-1", Decision: approval.Approve}, 0); err != nil {
		t.Fatal(err)
	}
	n0 := relAuditCount(t, s)
	for who, record := range map[audit.Actor]string{cleo: "cleo approved CHG-1", rhea: "rhea approved REL-1"} {
		_, err := s.CheckChangeItem(ctx, who, 1, 0, heapItem, "", pol)
		if fe := fault.As(err); fe == nil || fe.Code != fault.Forbidden || fault.RuleOf(err) != "separation_of_duties" || !strings.Contains(fe.Message, record) {
			t.Fatalf("%s ticks: %v, want forbidden by separation_of_duties naming %q", who.User, err, record)
		}
	}
	if cl, _ := s.ChangeChecklist(ctx, 1, pol); relAuditCount(t, s) != n0 || cl.Revision != 1 || cl.Items[0].Ticked {
		t.Fatalf("a refused tick wrote something: %+v", cl)
	}
	if _, err := s.CheckChangeItem(ctx, sigBob, 1, 0, heapItem, "", pol); err != nil {
		t.Fatalf("bob, who approved nothing, ticks: %v", err)
	}
}

// TestChangeChecklistFrozenAtApproval: when a change enters scheduled its
// checklist is frozen; items a review adds to the model afterwards apply
// to changes not yet approved only.
func TestChangeChecklistFrozenAtApproval(t *testing.T) {
	s, clock := checklistFixture(t)
	ctx := context.Background()
	pol := policy.Default()
	start, end := clock.T.Add(time.Hour), clock.T.Add(2*time.Hour)
	if _, err := s.CreateChange(ctx, alice, change.Change{Title: "Standard leak fix", Type: change.Standard, Release: "REL-1",
		ChangeModel: "memory-leak-patch", RiskClass: "low", PlannedStart: &start, PlannedEnd: &end}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{change.Assess, change.Scheduled} {
		if _, err := s.UpdateChange(ctx, alice, 2, 0, "change.move", func(c *change.Change, _ store.ChangeContext) error { return c.Move(to) }); err != nil {
			t.Fatalf("to %s: %v", to, err)
		}
	}
	frozenAt := clock.T
	if acts := sigActions(t, s, "change_checklist", "CHG-2"); !slices.Equal(acts, []string{"change.checklist_freeze"}) {
		t.Fatalf("freeze events: %v", acts)
	}
	clock.Advance(time.Hour)
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-1", Checklist: []string{poolItem}}); err != nil {
		t.Fatal(err)
	}
	completePIR(t, s, 1)
	frozen, _ := s.ChangeChecklist(ctx, 2, pol)
	if frozen.FrozenAt == nil || !frozen.FrozenAt.Equal(frozenAt) || frozen.FrozenBy != "alice" || len(frozen.Items) != 2 {
		t.Fatalf("frozen checklist: %+v", frozen)
	}
	if open, _ := s.ChangeChecklist(ctx, 1, pol); open.FrozenAt != nil || len(open.Items) != 3 || open.Items[2].Item != poolItem {
		t.Fatalf("unapproved change's checklist: %+v", open)
	}
	_, err := s.CheckChangeItem(ctx, sigBob, 2, 0, poolItem, "", pol)
	relWantField(t, err, "item")
	if !strings.Contains(err.Error(), "frozen when it was approved") {
		t.Fatalf("refusal does not say the list is frozen: %v", err)
	}
	// A policy that drops an item does not change the frozen list either.
	trimmed := policy.Default()
	m := trimmed.ChangeModels["memory-leak-patch"]
	m.Checklist = []string{heapItem}
	trimmed.ChangeModels["memory-leak-patch"] = m
	if cl, _ := s.ChangeChecklist(ctx, 2, trimmed); len(cl.Items) != 2 {
		t.Fatalf("frozen list under a new policy: %+v", cl)
	}
	if cl, _ := s.ChangeChecklist(ctx, 1, trimmed); len(cl.Items) != 2 || cl.Items[1].Item != poolItem {
		t.Fatalf("open change under a new policy: %+v", cl)
	}
}

// TestConcurrentChecklistTicks: two people tick items of one change from
// the same revision: exactly one wins per revision, the other gets
// PreconditionFailed and writes nothing.
func TestConcurrentChecklistTicks(t *testing.T) {
	s, _ := checklistFixture(t)
	ctx := context.Background()
	pol := policy.Default()
	for r := range 10 {
		cl, err := s.ChangeChecklist(ctx, 1, pol)
		if err != nil {
			t.Fatal(err)
		}
		rev := cl.Revision
		checks := countActions(t, s, "change_checklist", "CHG-1", "change.checklist_check")
		a, b := heapItem, soakItem
		if r%2 == 1 {
			b = heapItem // the same item, too
		}
		errs := race(func() error { _, err := s.CheckChangeItem(ctx, alice, 1, rev, a, "", pol); return err },
			func() error { _, err := s.CheckChangeItem(ctx, sigBob, 1, rev, b, "", pol); return err })
		won := slices.IndexFunc(errs, func(e error) bool { return e == nil })
		lost := 1 - won
		if won < 0 || fault.CodeOf(errs[lost]) != fault.PreconditionFailed {
			t.Fatalf("round %d: want one success and one precondition failure, got %v / %v", r, errs[0], errs[1])
		}
		after, _ := s.ChangeChecklist(ctx, 1, pol)
		if after.Revision != rev+1 || len(after.Missing) != 1 {
			t.Fatalf("round %d: revision %d, missing %v; want %d and one item", r, after.Revision, after.Missing, rev+1)
		}
		if n := countActions(t, s, "change_checklist", "CHG-1", "change.checklist_check") - checks; n != 1 {
			t.Fatalf("round %d: %d tick events, want 1", r, n)
		}
		ticked := []string{a, b}[won]
		if _, err := s.UncheckChangeItem(ctx, alice, 1, rev+1, ticked, pol); err != nil {
			t.Fatal(fmt.Errorf("round %d: untick: %w", r, err))
		}
	}
	relAuditCount(t, s) // the chain is intact
}

package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestAuditPageBoundsCombinedFilters: two filters that each select more
// than AuditScan events, with few in common, are read AuditScan events at
// a time through the one reaching furthest back (Bounded, Next goes on
// from the last event read); walking the cursor lists exactly the events
// matching both, newest first. A filter selecting fewer than AuditScan
// makes the page exact.
func TestAuditPageBoundsCombinedFilters(t *testing.T) {
	defer func(n int) { store.AuditScan = n }(store.AuditScan)
	store.AuditScan = 8
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	bob := audit.Actor{User: "bob", Role: "engineer", RequestID: "t"}
	create := func(who audit.Actor, n int) {
		for i := 0; i < n; i++ {
			clock.Advance(time.Second)
			if _, err := s.CreateProblem(ctx, who, problem.Problem{Title: fmt.Sprint(who.User, i), Priority: 3}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	update := func(who audit.Actor, id int64) {
		clock.Advance(time.Second)
		if _, err := s.UpdateProblem(ctx, who, id, 0, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
			p.Priority = 2
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	create(alice, 12)
	update(alice, 1)
	for id := int64(2); id <= 12; id++ {
		update(bob, id)
	}
	create(alice, 12)
	update(alice, 3)

	all, err := s.ListAuditEvents(ctx, store.AuditFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, e := range all {
		if e.Actor == "alice" && e.Action == "problem.update" {
			want = append(want, e.Seq)
		}
	}
	f := store.AuditFilter{Actor: "alice", Action: "problem.update", Limit: 50}
	var got []int64
	pages, bounded := 0, 0
	for {
		p, err := s.ListAuditPage(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range p.Events {
			got = append(got, e.Seq)
		}
		if p.Bounded {
			bounded++
			if p.Next == 0 || p.ReadTo.IsZero() || p.Driver == "" {
				t.Fatalf("page %d bounded without where it stopped: %+v", pages, p)
			}
		}
		if p.Next == 0 || pages > 20 {
			break
		}
		f.Before = p.Next
	}
	if len(want) != 2 || !slices.Equal(got, want) {
		t.Fatalf("walked %v, want %v", got, want)
	}
	if bounded == 0 || pages < 2 {
		t.Fatalf("%d pages, %d bounded: the combined filters were read past AuditScan events in one page", pages, bounded)
	}
	// the filter whose AuditScan events reach furthest back drives: the action (alice's newest 8 are creates)
	if p, err := s.ListAuditPage(ctx, store.AuditFilter{Actor: "alice", Action: "problem.update", Limit: 50}); err != nil || p.Driver != "action" {
		t.Fatalf("first page driven by %q (%v), want action", p.Driver, err)
	}

	// one filter under the bound: one exact page
	p, err := s.ListAuditPage(ctx, store.AuditFilter{RecordType: "problem", RecordID: "PRB-1", Actor: "alice", Limit: 50})
	if err != nil || p.Bounded || p.Next != 0 || len(p.Events) != 2 {
		t.Fatalf("record PRB-1 by alice: %+v, %v", p, err)
	}
	// the record type alone, newest first, one page of the limit
	p, err = s.ListAuditPage(ctx, store.AuditFilter{RecordType: "problem", Limit: 5})
	if err != nil || len(p.Events) != 5 || p.Next != p.Events[4].Seq || p.Events[0].Seq != all[0].Seq {
		t.Fatalf("record type: %+v, %v", p, err)
	}
}

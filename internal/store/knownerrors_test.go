package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func TestKnownErrorLifecycleAndOutcomes(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 1}, nil); err != nil {
		t.Fatal(err)
	}
	n0 := auditCount(t, s)
	if _, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "x", Problem: "PRB-7"}); fault.As(err) == nil || fault.As(err).Field != "problem" {
		t.Fatalf("unknown problem: %v", err)
	}
	if auditCount(t, s) != n0 {
		t.Fatal("refused create wrote an audit event")
	}
	k, err := s.CreateKnownError(ctx, alice, knownerror.KnownError{Title: "Pool exhaustion", Problem: "PRB-1",
		Labels: labels.Set{"ci": "checkout-api"}})
	if err != nil || k.ID != "KE-1" || k.Status != knownerror.Draft {
		t.Fatalf("%+v %v", k, err)
	}
	move := func(to string) func(*knownerror.KnownError, store.KnownErrorContext) error {
		return func(k *knownerror.KnownError, _ store.KnownErrorContext) error { return k.Move(to) }
	}
	if _, err := s.UpdateKnownError(ctx, alice, 1, 1, "known_error.move", move(knownerror.Published)); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("publish without workaround: %v", err)
	}
	k, err = s.UpdateKnownError(ctx, alice, 1, 1, "known_error.update", func(k *knownerror.KnownError, _ store.KnownErrorContext) error {
		k.Symptoms, k.Workaround = "checkout timeouts", "restart the pool"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if k, err = s.UpdateKnownError(ctx, alice, 1, 2, "known_error.move", move(knownerror.Published)); err != nil || k.Status != knownerror.Published {
		t.Fatalf("publish: %v", err)
	}
	n1 := auditCount(t, s)
	if _, err := s.AddKnownErrorOutcome(ctx, alice, 1, 0, knownerror.Outcome{Release: "REL-1", Outcome: knownerror.Fixed}); fault.As(err) == nil || fault.As(err).Field != "release" {
		t.Fatalf("unknown release: %v", err)
	}
	if auditCount(t, s) != n1 {
		t.Fatal("refused outcome wrote an audit event")
	}
	if _, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.1", Type: "feature"}); err != nil {
		t.Fatal(err)
	}
	k, err = s.AddKnownErrorOutcome(ctx, alice, 1, 3, knownerror.Outcome{Release: "rel-1", Outcome: knownerror.Recurred, Note: "back after 2 days"})
	if err != nil || len(k.Outcomes) != 1 || k.Revision != 4 {
		t.Fatalf("outcome: %+v %v", k, err)
	}
	got, _ := s.GetKnownError(ctx, 1)
	if len(got.Outcomes) != 1 || got.Outcomes[0].Release != "REL-1" || got.Outcomes[0].Outcome != knownerror.Recurred || got.Labels["ci"] != "checkout-api" {
		t.Fatalf("get: %+v", got)
	}
	ev, _ := s.AuditEventsFor(ctx, "known_error", "KE-1", 10)
	if len(ev) != 4 || ev[3].Action != "known_error.outcome" {
		t.Fatalf("events: %+v", ev)
	}
}

func TestListKnownErrorsSearch(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for _, k := range []knownerror.KnownError{
		{Title: "Connection pool exhaustion", Labels: labels.Set{"ci": "checkout-api", "env": "prod"}},
		{Title: "Cache stampede", Symptoms: "CPU spikes after POOL deploys", Labels: labels.Set{"ci": "checkout-api", "env": "Prod"}},
		{Title: "Cert expiry", Workaround: "renew with 100% of_the nodes", Labels: labels.Set{"ci": "edge"}},
	} {
		if _, err := s.CreateKnownError(ctx, alice, k); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		f    store.KnownErrorFilter
		want int
	}{
		"q case-insensitive": {store.KnownErrorFilter{Q: "pool"}, 2},
		"q wildcard escaped": {store.KnownErrorFilter{Q: "100%"}, 1},
		"q underscore":       {store.KnownErrorFilter{Q: "ne_ with"}, 0},
		"label exact case":   {store.KnownErrorFilter{Labels: labels.Set{"env": "prod"}}, 1},
		"labels and q":       {store.KnownErrorFilter{Q: "pool", Labels: labels.Set{"ci": "checkout-api", "env": "Prod"}}, 1},
		"status":             {store.KnownErrorFilter{Status: knownerror.Published}, 0},
	} {
		got, err := s.ListKnownErrors(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d results, %v", name, len(got), err)
		}
	}
}

func TestPIRCompletion(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1"}); fault.As(err) == nil || fault.As(err).Field != "problem" {
		t.Fatalf("unknown problem: %v", err)
	}
	s.CreateProblem(ctx, alice, problem.Problem{Title: "p", Priority: 1}, nil)
	if _, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", Release: "REL-3"}); fault.As(err) == nil || fault.As(err).Field != "release" {
		t.Fatalf("unknown release: %v", err)
	}
	p, err := s.CreatePIR(ctx, alice, pir.PIR{Problem: "PRB-1", KPIs: map[string]float64{"incidents_before": 14}, Checklist: []string{"canary first"}})
	if err != nil || p.ID != "PIR-1" || p.Status != pir.Draft {
		t.Fatalf("%+v %v", p, err)
	}
	complete := func(p *pir.PIR, c store.PIRContext) error { return p.Move(pir.Completed, "alice", c.Now) }
	if _, err := s.UpdatePIR(ctx, alice, 1, 1, "pir.move", complete); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("complete without verdict: %v", err)
	}
	yes := true
	p, err = s.UpdatePIR(ctx, alice, 1, 1, "pir.update", func(p *pir.PIR, _ store.PIRContext) error {
		p.RootCauseEliminated, p.Findings = &yes, "no recurrence"
		p.KPIs["incidents_after"] = 0
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = s.UpdatePIR(ctx, alice, 1, 2, "pir.move", complete); err != nil || p.Status != pir.Completed || p.CompletedBy != "alice" {
		t.Fatalf("complete: %+v %v", p, err)
	}
	if _, err := s.UpdatePIR(ctx, alice, 1, 0, "pir.update", func(p *pir.PIR, _ store.PIRContext) error { p.Findings = "x"; return nil }); fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("edit completed: %v", err)
	}
	got, _ := s.GetPIR(ctx, 1)
	if got.RootCauseEliminated == nil || !*got.RootCauseEliminated || got.KPIs["incidents_before"] != 14 || len(got.KPIs) != 2 ||
		got.CompletedAt == nil || got.Findings != "no recurrence" || got.Checklist[0] != "canary first" {
		t.Fatalf("get: %+v", got)
	}
	list, _ := s.ListPIRs(ctx, store.PIRFilter{Problem: 1, Status: pir.Completed})
	if len(list) != 1 {
		t.Fatalf("list: %+v", list)
	}
}

// TestListKnownErrorsByLabelPagesInIDOrder: a label filter (a join driven
// by the first label's rows) lists in id order from the cursor, even after
// an update rewrote a known error's label rows, and keeps the other labels
// and the text.
func TestListKnownErrorsByLabelPagesInIDOrder(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for i := 1; i <= 7; i++ {
		k := knownerror.KnownError{Title: fmt.Sprint("ke ", i), Labels: labels.Set{"ci": "b"}}
		if i%2 == 1 {
			k.Labels["ci"] = "a"
		}
		if i%3 == 0 {
			k.Labels["team"], k.Title = "x", fmt.Sprint("leak ", i)
		}
		if _, err := s.CreateKnownError(ctx, alice, k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.UpdateKnownError(ctx, alice, 1, 0, "known_error.update", func(k *knownerror.KnownError, _ store.KnownErrorContext) error {
		k.Labels["team"] = "x" // KE-1's label rows are written again, after the others
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	list := func(f store.KnownErrorFilter) []string {
		var ids []string
		for pages := 0; pages < 10; pages++ {
			page, err := s.ListKnownErrors(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range page {
				ids = append(ids, k.ID)
			}
			if len(page) < f.Limit {
				break
			}
			fmt.Sscanf(page[len(page)-1].ID, "KE-%d", &f.After)
		}
		return ids
	}
	for _, c := range []struct {
		f    store.KnownErrorFilter
		want []string
	}{
		{store.KnownErrorFilter{Labels: labels.Set{"ci": "a"}}, []string{"KE-1", "KE-3", "KE-5", "KE-7"}},
		{store.KnownErrorFilter{Labels: labels.Set{"ci": "a", "team": "x"}}, []string{"KE-1", "KE-3"}},
		{store.KnownErrorFilter{Labels: labels.Set{"team": "x"}, Q: "LEAK"}, []string{"KE-3", "KE-6"}},
		{store.KnownErrorFilter{Labels: labels.Set{"ci": "b"}, Page: store.Page{After: 2}}, []string{"KE-4", "KE-6"}},
	} {
		c.f.Limit = 1
		if got := list(c.f); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %v, want %v", c.f, got, c.want)
		}
	}
}

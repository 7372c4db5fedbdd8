package store_test

import (
	"context"
	"strings"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// UpdateProblems moves every problem as UpdateProblem would, each with its
// audit event, and a refused entry leaves every problem as it was.
func TestUpdateProblemsAllOrNothing(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	ps, err := s.CreateProblems(ctx, alice, []problem.Problem{{Title: "a", Priority: 3, CIs: []string{"checkout-api"}},
		{Title: "b", Priority: 3, Environments: []string{"prod-eu"}}, {Title: "c", Priority: 3}})
	if err != nil {
		t.Fatal(err)
	}
	cancel := func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.Canceled, "alice", c.Now, 0)
	}
	before := auditCount(t, s)
	got, err := s.UpdateProblems(ctx, alice, []int64{1, 2}, "problem.move", cancel)
	if err != nil || len(got) != 2 || got[1].ID != ps[1].ID || got[1].Status != problem.Canceled || got[1].Revision != 2 {
		t.Fatalf("moved %+v, %v", got, err)
	}
	if auditCount(t, s)-before != 2 {
		t.Fatalf("%d audit events, want 2", auditCount(t, s)-before)
	}
	events, err := s.ListAuditEvents(ctx, store.AuditFilter{RecordType: "problem", RecordID: ps[1].ID, Action: "problem.move"})
	if err != nil || len(events) != 1 || events[0].Actor != "alice" {
		t.Fatalf("audit of %s: %+v %v", ps[1].ID, events, err)
	}
	if p, _ := s.GetProblem(ctx, 2); p.Status != problem.Canceled || strings.Join(p.Environments, ",") != "prod-eu" {
		t.Fatalf("stored %+v", p)
	}
	// PRB-1 is canceled: the batch is refused, PRB-3 stays new, nothing is audited
	before = auditCount(t, s)
	_, err = s.UpdateProblems(ctx, alice, []int64{3, 1}, "problem.move", cancel)
	if fe := fault.As(err); fe == nil || fe.Field != "problems" || !strings.Contains(fe.Message, "entry 1") {
		t.Fatalf("refusal: %v", err)
	}
	if p, _ := s.GetProblem(ctx, 3); p.Status != problem.New || p.Revision != 1 || auditCount(t, s) != before {
		t.Fatalf("after a refused batch: %+v", p)
	}
}

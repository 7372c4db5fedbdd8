package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

var alice = audit.Actor{User: "alice", Role: "engineer", RequestID: "t"}

func seed(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"alice", "bob"} {
		if _, _, err := s.CreateUser(ctx, alice, auth.User{Name: n, Roles: []auth.Role{auth.Engineer}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateCI(ctx, alice, ci.CI{Name: "checkout-api", Kind: "service"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "prod-eu", Tier: environment.Production}); err != nil {
		t.Fatal(err)
	}
}

func TestProblemLifecycleAndRevisions(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	p, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "Checkout 500s", Priority: 2,
		CIs: []string{"checkout-api"}, Environments: []string{"prod-eu"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "PRB-1" || p.Status != problem.New || p.Revision != 1 {
		t.Fatalf("created %+v", p)
	}
	clock.Advance(time.Minute)
	moved, err := s.UpdateProblem(ctx, alice, 1, 1, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.Assess, "alice", c.Now, 0)
	})
	if err != nil || moved.Status != problem.Assess || moved.Revision != 2 || !moved.UpdatedAt.Equal(clock.T) {
		t.Fatalf("move: %+v, %v", moved, err)
	}
	// A stale revision is refused and changes nothing.
	_, err = s.UpdateProblem(ctx, alice, 1, 1, "problem.update", func(p *problem.Problem, c store.ProblemContext) error {
		p.Title = "lost update"
		return nil
	})
	if fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("stale update: %v", err)
	}
	// An illegal move is refused and changes nothing.
	_, err = s.UpdateProblem(ctx, alice, 1, 0, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
		return p.Move(problem.Closed, "alice", c.Now, 0)
	})
	if fault.CodeOf(err) != fault.Conflict {
		t.Fatalf("illegal move: %v", err)
	}
	got, err := s.GetProblem(ctx, 1)
	if err != nil || got.Title != "Checkout 500s" || got.Status != problem.Assess || got.Revision != 2 {
		t.Fatalf("after refused updates: %+v, %v", got, err)
	}
	if len(got.CIs) != 1 || got.CIs[0] != "checkout-api" || got.Environments[0] != "prod-eu" {
		t.Fatalf("links: %+v", got)
	}
	events, _ := s.AuditEventsFor(ctx, "problem", "PRB-1", 10)
	if len(events) != 2 || events[1].Action != "problem.move" || events[1].Actor != "alice" {
		t.Fatalf("audit events: %+v", events)
	}
}

func TestCreateProblemUnknownCIWritesNothing(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	n0, _, _ := s.VerifyAudit(ctx)
	_, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "x", Priority: 1, CIs: []string{"nope"}}, nil)
	if fe := fault.As(err); fe == nil || fe.Field != "cis" {
		t.Fatalf("got %v, want invalid cis", err)
	}
	_, err = s.CreateProblem(ctx, alice, problem.Problem{Title: "x", Priority: 1}, []int64{99})
	if fe := fault.As(err); fe == nil || fe.Field != "incidents" {
		t.Fatalf("got %v, want invalid incidents", err)
	}
	list, _ := s.ListProblems(ctx, store.ProblemFilter{})
	n1, _, _ := s.VerifyAudit(ctx)
	if len(list) != 0 || n1 != n0 {
		t.Fatalf("failed create wrote %d problems, %d audit events", len(list), n1-n0)
	}
}

func TestListProblemsFiltersAndPages(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		p := problem.Problem{Title: "p", Priority: 1 + i%2}
		if i%3 == 0 {
			p.CIs = []string{"checkout-api"}
		}
		if _, err := s.CreateProblem(ctx, alice, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	f := store.ProblemFilter{Page: store.Page{Limit: 3}}
	for {
		page, err := s.ListProblems(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			ids = append(ids, p.ID)
		}
		if len(page) < 3 {
			break
		}
		f.After = int64(len(ids))
	}
	if len(ids) != 7 || ids[0] != "PRB-1" || ids[6] != "PRB-7" {
		t.Fatalf("paged ids %v", ids)
	}
	byCI, _ := s.ListProblems(ctx, store.ProblemFilter{CI: "checkout-api", Priority: 1})
	if len(byCI) != 2 || byCI[0].ID != "PRB-1" || byCI[1].ID != "PRB-7" {
		t.Fatalf("filtered %+v", byCI)
	}
}

// CreateProblems and CreateReleases: each record gets its id, links and
// audit event in order; a bad entry is named and nothing is written (on
// PostgreSQL the refused batch may still have used sequence values).
func TestCreateProblemsAndReleasesInBulk(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	n0 := auditCount(t, s)
	if _, err := s.CreateProblems(ctx, alice, []problem.Problem{{Title: "a", Priority: 1, CIs: []string{"checkout-api"}},
		{Title: "b", Priority: 2, CIs: []string{"ghost"}}}); fault.As(err) == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("unknown CI: %v", err)
	}
	ps, err := s.CreateProblems(ctx, alice, []problem.Problem{
		{Title: "a", Priority: 1, CIs: []string{"checkout-api"}, Environments: []string{"prod-eu"}},
		{Title: "b", Priority: 2},
		{Title: "c", Priority: 3, CIs: []string{"checkout-api"}}})
	if err != nil || len(ps) != 3 || ps[1].Status != problem.New {
		t.Fatalf("created %+v %v", ps, err)
	}
	first, _ := ident.Problem.Parse("id", ps[0].ID)
	if last, _ := ident.Problem.Parse("id", ps[2].ID); last != first+2 {
		t.Fatalf("ids %s .. %s", ps[0].ID, ps[2].ID)
	}
	for i, want := range [][2]int{{1, 1}, {0, 0}, {1, 0}} {
		p, err := s.GetProblem(ctx, first+int64(i))
		if err != nil || p.Title != ps[i].Title || len(p.CIs) != want[0] || len(p.Environments) != want[1] || p.Revision != 1 {
			t.Fatalf("%s: %+v %v", ps[i].ID, p, err)
		}
	}
	if _, err := s.CreateReleases(ctx, alice, []release.Release{{Version: "1.0.0", Type: release.ProblemFix, Resolves: []string{ps[0].ID}},
		{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{"PRB-9"}}}); fault.As(err) == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("unknown problem: %v", err)
	}
	rs, err := s.CreateReleases(ctx, alice, []release.Release{{Version: "1.0.0", Type: release.ProblemFix, Resolves: []string{ps[0].ID, ps[2].ID}},
		{Version: "1.0.1", Type: release.ProblemFix, Resolves: []string{ps[1].ID}}})
	if err != nil || len(rs) != 2 {
		t.Fatalf("releases %+v %v", rs, err)
	}
	relID, _ := ident.Release.Parse("id", rs[0].ID)
	r, err := s.GetRelease(ctx, relID)
	if err != nil || len(r.Resolves) != 2 || r.Resolves[1] != ps[2].ID || r.Status != release.Planned {
		t.Fatalf("REL-1: %+v %v", r, err)
	}
	if n := auditCount(t, s) - n0; n != 5 {
		t.Fatalf("audit events: %d, want 5", n)
	}
}

package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestListProblemsByCIPagesInIDOrder: the CI filter (a join on the CI's
// problems in id order) pages with the cursor and keeps the other filters.
func TestListProblemsByCIPagesInIDOrder(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for i := 0; i < 9; i++ {
		p := problem.Problem{Title: "p", Priority: 1 + i%2}
		if i%2 == 0 {
			p.CIs = []string{"checkout-api"}
		}
		if _, err := s.CreateProblem(ctx, alice, p, nil); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	f := store.ProblemFilter{CI: "checkout-api", Page: store.Page{Limit: 2}}
	for pages := 0; pages < 10; pages++ {
		page, err := s.ListProblems(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			ids = append(ids, p.ID)
		}
		if len(page) < 2 {
			break
		}
		f.After = int64(len(ids)*2 - 1)
	}
	if want := []string{"PRB-1", "PRB-3", "PRB-5", "PRB-7", "PRB-9"}; !slices.Equal(ids, want) {
		t.Fatalf("paged %v, want %v", ids, want)
	}
	got, err := s.ListProblems(ctx, store.ProblemFilter{CI: "checkout-api", Priority: 1, Status: problem.New, Page: store.Page{After: 3}})
	if err != nil || len(got) != 3 || got[0].ID != "PRB-5" || got[2].ID != "PRB-9" {
		t.Fatalf("filtered after PRB-3: %+v, %v", got, err)
	}
}

// listFixture stores 60 problems over two CIs, two environments, four
// priorities and three states (new, assess, canceled) and returns them all.
func listFixture(t *testing.T, s *store.Store) []problem.Problem {
	t.Helper()
	seed(t, s)
	ctx := context.Background()
	if _, err := s.CreateCI(ctx, alice, ci.CI{Name: "payments", Kind: "service"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "staging", Tier: environment.Staging}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 60; i++ {
		p := problem.Problem{Title: fmt.Sprint("p", i), Priority: 1 + i%4}
		if i%2 == 0 {
			p.CIs = append(p.CIs, "checkout-api")
		}
		if i%3 == 0 {
			p.CIs = append(p.CIs, "payments")
		}
		if i%3 != 1 {
			p.Environments = append(p.Environments, "prod-eu")
		}
		if i%4 == 0 {
			p.Environments = append(p.Environments, "staging")
		}
		created, err := s.CreateProblem(ctx, alice, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		to := ""
		switch {
		case i%5 == 0:
			to = problem.Canceled
		case i%7 == 0:
			to = problem.Assess
		}
		if to != "" {
			if _, err := s.UpdateProblem(ctx, alice, int64(i), 0, "problem.move", func(x *problem.Problem, c store.ProblemContext) error {
				return x.Move(to, "alice", c.Now, 0)
			}); err != nil {
				t.Fatalf("%s: %v", created.ID, err)
			}
		}
	}
	all, err := s.ListProblems(ctx, store.ProblemFilter{Page: store.Page{Limit: 500}})
	if err != nil || len(all) != 60 {
		t.Fatalf("listed %d problems, %v", len(all), err)
	}
	return all
}

// plainFilter is what f selects from all, in id order.
func plainFilter(all []problem.Problem, f store.ProblemFilter) []string {
	var ids []string
	for _, p := range all {
		if (f.Status == "" || p.Status == f.Status) && (f.Priority == 0 || p.Priority == f.Priority) &&
			(f.CI == "" || slices.Contains(p.CIs, f.CI)) && (f.Env == "" || slices.Contains(p.Environments, f.Env)) {
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// TestListProblemsEveryCombination: every combination of status,
// priority, CI and environment lists the same problems in the same order
// as a plain filter of all problems, walking ListProblemsPage's cursor
// (bounded pages included) and ListProblems's full pages, with
// ProblemScan at 5 (two counts: 2 then 5) and at its default. With the
// small bound, combinations whose filters are each common but rare
// together end pages early (Bounded, Next past the last problem read).
func TestListProblemsEveryCombination(t *testing.T) {
	s, _ := storetest.Open(t)
	all := listFixture(t, s)
	for _, bounds := range [][2]int{{5, 2}, {store.ProblemScan, 64}} {
		restore := store.SetProblemScan(bounds[0], bounds[1])
		bounded := 0
		for _, st := range []string{"", problem.New, problem.Assess, problem.Canceled, problem.Closed} {
			for prio := 0; prio <= 4; prio++ {
				for _, c := range []string{"", "checkout-api", "payments"} {
					for _, env := range []string{"", "prod-eu", "staging"} {
						f := store.ProblemFilter{Status: st, Priority: prio, CI: c, Env: env, Page: store.Page{Limit: 4}}
						want := plainFilter(all, f)
						got, b := walkProblemPages(t, s, f)
						if !slices.Equal(got, want) {
							t.Fatalf("scan %v, %+v: paged %v, want %v", bounds, f, got, want)
						}
						bounded += b
						if got := walkListProblems(t, s, f); !slices.Equal(got, want) {
							t.Fatalf("scan %v, %+v: ListProblems %v, want %v", bounds, f, got, want)
						}
					}
				}
			}
		}
		restore()
		if small := bounds[0] == 5; small != (bounded > 0) {
			t.Fatalf("scan %v: %d bounded pages", bounds, bounded)
		}
	}
}

// walkProblemPages follows ListProblemsPage's cursor from the start and
// returns the ids listed and how many pages were bounded.
func walkProblemPages(t *testing.T, s *store.Store, f store.ProblemFilter) (ids []string, bounded int) {
	t.Helper()
	for pages := 0; ; pages++ {
		p, err := s.ListProblemsPage(context.Background(), f)
		if err != nil || pages > 100 {
			t.Fatalf("%+v: page %d: %v", f, pages, err)
		}
		if len(p.Items) > f.Limit || p.Bounded && (len(p.Items) == f.Limit || p.Next <= f.After) {
			t.Fatalf("%+v: page %+v", f, p)
		}
		for _, x := range p.Items {
			ids = append(ids, x.ID)
		}
		if p.Bounded {
			bounded++
		}
		if p.Next == 0 {
			return ids, bounded
		}
		f.After = p.Next
	}
}

// walkListProblems pages ListProblems by its last id; every page but the
// last is full.
func walkListProblems(t *testing.T, s *store.Store, f store.ProblemFilter) []string {
	t.Helper()
	var ids []string
	for pages := 0; ; pages++ {
		page, err := s.ListProblems(context.Background(), f)
		if err != nil || pages > 100 {
			t.Fatalf("%+v: page %d: %v", f, pages, err)
		}
		for _, x := range page {
			ids = append(ids, x.ID)
		}
		if len(page) < f.Limit {
			return ids
		}
		var n int64
		if _, err := fmt.Sscanf(page[len(page)-1].ID, "PRB-%d", &n); err != nil {
			t.Fatal(err)
		}
		f.After = n
	}
}

// TestListProblemsPageDriver: the filter selecting fewest past the cursor
// reads the page; when each selects ProblemScan or more, the one whose
// ProblemScan-th problem comes last reads, and the page stops there.
func TestListProblemsPageDriver(t *testing.T) {
	s, _ := storetest.Open(t)
	listFixture(t, s)
	ctx := context.Background()
	for _, c := range []struct {
		f      store.ProblemFilter
		driver string
	}{
		{store.ProblemFilter{Status: problem.Assess, CI: "checkout-api"}, "status"},            // 7 in assess, 30 of checkout-api
		{store.ProblemFilter{Status: problem.New, CI: "payments"}, "ci"},                       // 41 new, 20 of payments
		{store.ProblemFilter{Priority: 1, Env: "prod-eu"}, "priority"},                         // 15 of priority 1, 40 in prod-eu
		{store.ProblemFilter{Status: problem.New, Env: "staging"}, "env"},                      // 15 in staging
		{store.ProblemFilter{Status: problem.Canceled, Priority: 1, CI: "payments"}, "status"}, // 12 canceled, 15, 20
	} {
		p, err := s.ListProblemsPage(ctx, c.f)
		if err != nil || p.Driver != c.driver || p.Bounded {
			t.Fatalf("%+v: driven by %q (bounded %v), want %q; %v", c.f, p.Driver, p.Bounded, c.driver, err)
		}
	}
	defer store.SetProblemScan(5, 2)()
	// new: PRB-1 2 3 4 6 (5th: 6); priority 1 (i%4 == 0): PRB-4 8 12 16 20 (5th: 20); new and priority 1: PRB-4, 8, 12, 16
	p, err := s.ListProblemsPage(ctx, store.ProblemFilter{Status: problem.New, Priority: 1, Page: store.Page{Limit: 10}})
	if err != nil || p.Driver != "priority" || !p.Bounded || p.Next != 20 || len(p.Items) != 4 || p.Items[3].ID != "PRB-16" {
		t.Fatalf("new, priority 1: %+v, %v", p, err)
	}
}

package store_test

import (
	"context"
	"slices"
	"testing"

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

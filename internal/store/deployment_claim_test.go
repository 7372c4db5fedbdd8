package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// TestClaimDueSharesDeployments: two holders claim the due deployments at
// once, 10 rounds: each of the 6 goes to exactly one, a claimed one is not
// due any more, and one given back (GiveBack) is due again.
func TestClaimDueSharesDeployments(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	for i := range 6 {
		depNewRelease(t, s, release.Release{Version: fmt.Sprintf("1.0.%d", i), Type: release.Feature})
		engStart(t, s, storetest.OpenPolicy(), store.StartRequest{Release: fmt.Sprintf("REL-%d", i+1), Env: "prod-eu"})
	}
	for round := range 10 {
		var wg sync.WaitGroup
		got := make([][]int64, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ids, err := s.ClaimDue(ctx, []string{"a", "b"}[i], time.Minute, 10)
				if err != nil {
					t.Error(err)
				}
				got[i] = ids
			}()
		}
		wg.Wait()
		all := slices.Concat(got[0], got[1])
		slices.Sort(all)
		if !slices.Equal(all, []int64{1, 2, 3, 4, 5, 6}) {
			t.Fatalf("round %d: a claimed %v, b %v", round, got[0], got[1])
		}
		if due, _ := s.DueDeployments(ctx, clock.T, 10); len(due) != 0 {
			t.Fatalf("claimed deployments are due: %v", due)
		}
		if more, _ := s.ClaimDue(ctx, "c", time.Minute, 10); len(more) != 0 {
			t.Fatalf("claimed twice: %v", more)
		}
		for i, ids := range got {
			for _, id := range ids {
				if err := s.GiveBack(ctx, id, []string{"a", "b"}[i]); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

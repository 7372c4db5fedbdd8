package store_test

import (
	"context"
	"fmt"
	"testing"

	"fixgate/internal/ci"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// BenchmarkListProblemsPage: one page of 50 problems (what GET /problems
// reads) over 1k, 10k and 40k problems: problem i has priority 1+i%4 and
// CI ci-a when i is even, else ci-b; one in 500 is in state assess. A
// combination whose filters are each common but never together (priority
// 1 and ci-b: 1/4 and 1/2 of the problems) is the worst case: the page
// reads ProblemScan problems and stops (Bounded). A rare filter (assess)
// drives a combination with a common one; a common combination fills its
// page early; one filter reads its index from the cursor.
func BenchmarkListProblemsPage(b *testing.B) {
	s, _ := storetest.Open(b)
	ctx := context.Background()
	if _, _, err := s.Bootstrap(ctx, "fgt_test"); err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"ci-a", "ci-b"} {
		if _, err := s.CreateCI(ctx, alice, ci.CI{Name: name, Kind: "service"}); err != nil {
			b.Fatal(err)
		}
	}
	have := 0
	for _, n := range []int{1000, 10000, 40000} {
		if err := growProblems(ctx, s, have, n); err != nil {
			b.Fatal(err)
		}
		have = n
		for _, c := range []struct {
			name string
			f    store.ProblemFilter
		}{
			{"priority=1&ci=ci-b(none)", store.ProblemFilter{Priority: 1, CI: "ci-b"}},
			{"status=assess&ci=ci-a", store.ProblemFilter{Status: problem.Assess, CI: "ci-a"}},
			{"priority=2&ci=ci-b", store.ProblemFilter{Priority: 2, CI: "ci-b"}},
			{"ci=ci-a", store.ProblemFilter{CI: "ci-a"}},
		} {
			b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
				defer reportBackendCPU(b, s)() // cpu-µs/op (and pg-µs/op): the machine is shared
				for b.Loop() {
					if _, err := s.ListProblemsPage(ctx, c.f); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// growProblems adds problems have+1..n (CreateProblems, batches of 5,000)
// and moves one in 500 to assess.
func growProblems(ctx context.Context, s *store.Store, have, n int) error {
	for from := have + 1; from <= n; from += 5000 {
		var ps []problem.Problem
		var assess []int64
		for i := from; i <= n && i < from+5000; i++ {
			p := problem.Problem{Title: fmt.Sprint("problem ", i), Priority: 1 + i%4, CIs: []string{"ci-b"}}
			if i%2 == 0 {
				p.CIs = []string{"ci-a"}
			}
			ps = append(ps, p)
			if i%500 == 0 {
				assess = append(assess, int64(i))
			}
		}
		if _, err := s.CreateProblems(ctx, alice, ps); err != nil {
			return err
		}
		if len(assess) == 0 {
			continue
		}
		if _, err := s.UpdateProblems(ctx, alice, assess, "problem.move", func(p *problem.Problem, c store.ProblemContext) error {
			return p.Move(problem.Assess, "alice", c.Now, 0)
		}); err != nil {
			return err
		}
	}
	return nil
}

package store_test

import (
	"context"
	"fmt"
	"testing"

	"fixgate/internal/problem"
	"fixgate/internal/store/storetest"
)

func BenchmarkVerifyAudit(b *testing.B) {
	s, _ := storetest.Open(b)
	ctx := context.Background()
	s.Bootstrap(ctx, "x")
	var ps []problem.Problem
	for i := 0; i < 20000; i++ {
		ps = append(ps, problem.Problem{Title: fmt.Sprint("p", i), Priority: 2})
	}
	if _, err := s.CreateProblems(ctx, alice, ps); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		n, br, err := s.VerifyAudit(ctx)
		if err != nil || br != nil || n < 20000 {
			b.Fatal(n, br, err)
		}
	}
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"fixgate/internal/audit"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

func fillChain(t *testing.T, s *store.Store, n int) {
	t.Helper()
	seed(t, s)
	for i := 0; i < n; i++ {
		if _, err := s.CreateProblem(context.Background(), alice, problem.Problem{Title: fmt.Sprint("p", i), Priority: 3}, nil); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerifyDetectsStoredTampering(t *testing.T) {
	cases := map[string]struct {
		sql    []string
		seq    int64
		reason string
	}{
		"edit":   {[]string{`UPDATE audit_events SET actor = 'mallory' WHERE seq = 5`}, 5, "edited"},
		"delete": {[]string{`DELETE FROM audit_events WHERE seq = 5`}, 6, "where 5 was expected"},
		"reorder": {[]string{`UPDATE audit_events SET seq = -5 WHERE seq = 5`, `UPDATE audit_events SET seq = 5 WHERE seq = 6`,
			`UPDATE audit_events SET seq = 6 WHERE seq = -5`}, 5, "prev_hash"},
		"insert": {[]string{`UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 5`, `UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1000`,
			`INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash)
			SELECT 5, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash FROM audit_events WHERE seq = 4`},
			5, "prev_hash"},
		"truncate": {[]string{`DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)`}, 0, "removed from the end"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, _ := storetest.Open(t)
			fillChain(t, s, 6)
			ctx := context.Background()
			n, b, err := s.VerifyAudit(ctx)
			if err != nil || b != nil || n < 10 {
				t.Fatalf("intact chain: %d, %v, %v", n, b, err)
			}
			for _, q := range c.sql {
				if _, err := s.DB().Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			_, b, err = s.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b == nil || !strings.Contains(b.Reason, c.reason) {
				t.Fatalf("got %v, want a break mentioning %q", b, c.reason)
			}
			if b.Seq != c.seq {
				t.Fatalf("break reported at %d, want %d", b.Seq, c.seq)
			}
		})
	}
}

// TestAuditChainConcurrentWriters runs 32 writers at once; the chain must
// verify (no fork, no gap) with one event per write.
func TestAuditChainConcurrentWriters(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	n0, _, _ := s.VerifyAudit(ctx)
	const writers, each = 32, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			a := audit.Actor{User: "alice", Role: "engineer", RequestID: fmt.Sprint("w", w)}
			for i := 0; i < each; i++ {
				if _, err := s.CreateProblem(ctx, a, problem.Problem{Title: "c", Priority: 4}, nil); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, b, err := s.VerifyAudit(ctx)
	if err != nil || b != nil {
		t.Fatalf("chain after concurrent writes: %v %v", b, err)
	}
	if n != n0+writers*each {
		t.Fatalf("verified %d events, want %d", n, n0+writers*each)
	}
}

package store_test

import (
	"context"
	"sync"
	"testing"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// Concurrent evaluations are committed in groups: every caller gets its own
// record and audit event in its own name, a refused one (unknown
// environment) writes nothing and does not fail the others, and the audit
// chain stays valid.
func TestGateEvaluationGroupCommit(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature})
	if err != nil {
		t.Fatal(err)
	}
	before := auditCount(t, s)
	const n = 24
	errs := make([]error, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env, who := "prod-eu", alice
			if i%2 == 1 {
				who = bob
			}
			if i == 7 {
				env = "moon"
			}
			ev, err := s.CreateGateEvaluation(ctx, who, store.GateEvaluation{Release: rel.ID, Environment: env,
				Verdict: gate.Verdict{Decision: gate.Allowed}})
			errs[i], ids[i] = err, ev.ID
			if err == nil && ev.CreatedBy != who.User {
				errs[i] = fault.Conflictf("created_by %s, want %s", ev.CreatedBy, who.User)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, err := range errs {
		switch {
		case i == 7 && fault.CodeOf(err) != fault.NotFound:
			t.Errorf("unknown environment: %v", err)
		case i != 7 && (err != nil || ids[i] == "" || seen[ids[i]]):
			t.Errorf("evaluation %d: %q %v", i, ids[i], err)
		}
		seen[ids[i]] = true
	}
	if got := auditCount(t, s); got != before+n-1 {
		t.Fatalf("audit events %d, want %d", got-before, n-1)
	}
	l, err := s.ListGateEvaluations(ctx, store.GateEvaluationFilter{Page: store.Page{Limit: 100}})
	if err != nil || len(l) != n-1 {
		t.Fatalf("stored %d %v", len(l), err)
	}
	if _, broken, err := s.VerifyAudit(ctx); err != nil || broken != nil {
		t.Fatalf("audit chain: %v %+v", err, broken)
	}
	evs, err := s.AuditEventsFor(ctx, "gate_evaluation", ids[1], 10)
	if err != nil || len(evs) != 1 || evs[0].Actor != "bob" || evs[0].Action != "gate.evaluate" {
		t.Fatalf("audit of %s: %+v %v", ids[1], evs, err)
	}
}

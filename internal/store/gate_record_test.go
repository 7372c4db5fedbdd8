package store_test

import (
	"context"
	"sync"
	"testing"

	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
	"fixgate/internal/webhook"
)

// Concurrent evaluations are each stored with their audit event in their
// own name, a refused one (unknown environment) writes nothing and does
// not fail the others, and the audit chain stays gap-free and valid.
func TestGateEvaluationsConcurrent(t *testing.T) {
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

// TestGateBlockedNotifiesOnChange: gate.blocked is enqueued only when a
// subscription wants it, and then once per change of the verdict to
// blocked for a release and environment, not once per poll; concurrent
// blocked polls after a change announce it once.
func TestGateBlockedNotifiesOnChange(t *testing.T) {
	s, _ := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	rel, err := s.CreateRelease(ctx, alice, release.Release{Version: "1.0.0", Type: release.Feature})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEnvironment(ctx, alice, environment.Environment{Name: "staging", Tier: environment.Staging}); err != nil {
		t.Fatal(err)
	}
	poll := func(decision, env string) {
		t.Helper()
		if _, err := s.CreateGateEvaluation(ctx, bob, store.GateEvaluation{Release: rel.ID, Environment: env,
			Verdict: gate.Verdict{Decision: decision}}); err != nil {
			t.Fatal(err)
		}
	}
	blocked := func() int { t.Helper(); return len(sigOutbox(t, s, store.EventGateBlocked)) }
	poll(gate.Blocked, "prod-eu")
	if n := blocked(); n != 0 {
		t.Fatalf("no subscription: %d outbox rows", n)
	}
	mustWebhook(t, s, webhook.Subscription{URL: "https://hooks.example.com/other", Events: []string{"problem.closed"}, Active: true})
	poll(gate.Allowed, "prod-eu")
	poll(gate.Blocked, "prod-eu")
	if n := blocked(); n != 0 {
		t.Fatalf("subscription to another event: %d outbox rows", n)
	}
	mustWebhook(t, s, webhook.Subscription{URL: "https://hooks.example.com/gate", Events: []string{store.EventGateBlocked}, Active: true})
	poll(gate.Blocked, "prod-eu") // was already blocked: no change
	if n := blocked(); n != 0 {
		t.Fatalf("a second identical blocked poll: %d outbox rows", n)
	}
	poll(gate.Allowed, "prod-eu")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); poll(gate.Blocked, "prod-eu") }()
	}
	wg.Wait()
	if n := blocked(); n != 1 {
		t.Fatalf("one change to blocked, 8 polls: %d outbox rows, want 1", n)
	}
	poll(gate.Blocked, "staging") // first evaluation there: a change
	poll(gate.Allowed, "prod-eu")
	poll(gate.Blocked, "prod-eu")
	poll(gate.Blocked, "prod-eu")
	if n := blocked(); n != 3 {
		t.Fatalf("three changes: %d outbox rows, want 3", n)
	}
}

func mustPolicy(t *testing.T, yaml string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// subscribeAll subscribes a webhook to every event, so the outbox gets
// every notification (with no subscriber nothing is enqueued).
func subscribeAll(t *testing.T, s *store.Store) {
	t.Helper()
	mustWebhook(t, s, webhook.Subscription{URL: "https://hooks.example.com/all", Events: []string{webhook.AllEvents}, Active: true})
}

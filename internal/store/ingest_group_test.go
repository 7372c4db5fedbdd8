package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/audit"
	"fixgate/internal/incident"
	"fixgate/internal/problem"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// Concurrent notifications (SQLite: stored in shared group transactions)
// each get their own answer and audit event; an alert sent by several
// senders at once is stored once.
func TestConcurrentNotificationsEachCommittedOnce(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	subscribeAll(t, s)
	ctx := context.Background()
	const senders, perSender = 8, 5
	shared := sigAlert{status: "firing", labels: map[string]string{"alertname": "Shared", "service": "checkout-api", "env": "prod-eu"},
		starts: clock.T.Add(-time.Minute)}
	var wg sync.WaitGroup
	results := make([][]store.IngestResult, senders)
	errs := make(chan error, senders*perSender)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			a := audit.Actor{User: "bot", Role: "pipeline", RequestID: fmt.Sprint("req-", i)}
			for n := 0; n < perSender; n++ {
				own := sigAlert{status: "firing", starts: clock.T.Add(-time.Minute),
					labels: map[string]string{"alertname": "Own", "service": "checkout-api", "env": "prod-eu", "pod": fmt.Sprint(i, "-", n)}}
				res, err := s.IngestAlerts(ctx, a, sigPayload(t, own, shared))
				if err != nil {
					errs <- err
					return
				}
				results[i] = append(results[i], res)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	news, dups := 0, 0
	for _, rs := range results {
		for _, r := range rs {
			if r.Received != 2 || r.New+r.Duplicates != 2 {
				t.Fatalf("result: %+v", r)
			}
			news += r.New
			dups += r.Duplicates
		}
	}
	if want := senders*perSender + 1; news != want || dups != senders*perSender-1 {
		t.Fatalf("new %d (want %d), duplicates %d", news, want, dups)
	}
	var signals, incidents, events int
	db := s.DB()
	db.QueryRow(`SELECT COUNT(*) FROM signals`).Scan(&signals)
	db.QueryRow(`SELECT COUNT(*) FROM incidents`).Scan(&incidents)
	db.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'signal.ingest'`).Scan(&events)
	if signals != news || incidents != news || events != senders*perSender {
		t.Fatalf("signals %d incidents %d signal.ingest events %d", signals, incidents, events)
	}
	for i := 0; i < senders; i++ {
		var n int
		db.QueryRow(`SELECT COUNT(*) FROM audit_events WHERE action = 'signal.ingest' AND request_id = $1`, fmt.Sprint("req-", i)).Scan(&n)
		if n != perSender {
			t.Fatalf("sender %d has %d audit events", i, n)
		}
	}
	if n := len(sigOutbox(t, s, store.EventSignalReceived)); n != senders*perSender {
		t.Fatalf("signal.received rows: %d", n)
	}
	if _, broken, err := s.VerifyAudit(ctx); err != nil || broken != nil {
		t.Fatalf("audit chain: %v %+v", err, broken)
	}
}

// One notification mixing a matched alert, two alerts of one fingerprint (one incident), an
// unknown environment (signal only) and a repeat; then a resolution and a
// new firing of the same fingerprint in one notification (the per-row
// path, in order). Both databases must store the same.
func TestIngestMixedNotificationStoresEachOnce(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	subscribeAll(t, s)
	ctx := context.Background()
	if _, err := s.CreateProblem(ctx, alice, problem.Problem{Title: "hit", Priority: 2, CIs: []string{"checkout-api"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSignature(ctx, alice, 1, `{alertname="Hit"}`); err != nil {
		t.Fatal(err)
	}
	at := clock.T.Add(-10 * time.Minute)
	hit := sigAlert{status: "firing", starts: at, labels: map[string]string{"alertname": "Hit", "service": "checkout-api", "env": "prod-eu"}}
	miss := sigAlert{status: "firing", starts: at, labels: map[string]string{"alertname": "Miss", "service": "checkout-api", "env": "prod-eu"}}
	again := miss
	again.starts = at.Add(time.Minute)
	mars := sigAlert{status: "firing", starts: at, labels: map[string]string{"alertname": "Miss", "service": "checkout-api", "env": "mars"}}
	res := sigIngest(t, s, sigPayload(t, hit, miss, again, mars, hit))
	if res != (store.IngestResult{Received: 5, New: 4, Duplicates: 1, IncidentsOpened: 2}) {
		t.Fatalf("first notification: %+v", res)
	}
	incs := sigIncidents(t, s)
	byFP := map[string]incident.Incident{}
	for _, i := range incs {
		byFP[i.Fingerprint] = i
	}
	fpHit, fpMiss := alertmanager.Fingerprint(hit.labels), alertmanager.Fingerprint(miss.labels)
	if len(incs) != 2 || byFP[fpHit].Problem != "PRB-1" || byFP[fpMiss].Problem != "" || byFP[fpMiss].ID == "" {
		t.Fatalf("incidents: %+v", incs)
	}
	sigs, _ := s.ListSignals(ctx, store.SignalFilter{})
	want := []string{byFP[fpHit].ID, byFP[fpMiss].ID, byFP[fpMiss].ID, ""}
	if len(sigs) != 4 {
		t.Fatalf("signals: %+v", sigs)
	}
	for i, g := range sigs {
		if g.Incident != want[i] {
			t.Fatalf("signal %d names incident %q, want %q", i, g.Incident, want[i])
		}
	}
	if sigs[0].Problem != "PRB-1" || sigs[0].Signature != "SIG-1" || sigs[1].Problem != "" {
		t.Fatalf("matching: %+v", sigs[:2])
	}
	var received []map[string]any
	for _, e := range sigOutbox(t, s, store.EventSignalReceived) {
		var p struct{ Signals []map[string]any }
		json.Unmarshal([]byte(e.Payload), &p)
		received = append(received, p.Signals...)
	}
	if n := len(sigOutbox(t, s, store.EventIncidentOpened)); n != 2 || len(received) != 4 {
		t.Fatalf("incident.opened rows %d, signals announced %d", n, len(received))
	}
	for _, i := range incs {
		if got := sigActions(t, s, "incident", i.ID); !slices.Equal(got, []string{"incident.create"}) {
			t.Fatalf("%s audit: %v", i.ID, got)
		}
	}
	// Resend plus a resolution and a new firing of the same fingerprint.
	clock.Advance(time.Minute)
	resolved := again
	resolved.status, resolved.ends = "resolved", clock.T.Add(-30*time.Second)
	refire := miss
	refire.starts = clock.T
	res = sigIngest(t, s, sigPayload(t, hit, miss, resolved, refire))
	if res != (store.IngestResult{Received: 4, New: 2, Duplicates: 2, IncidentsOpened: 1, IncidentsResolved: 1}) {
		t.Fatalf("second notification: %+v", res)
	}
	incs = sigIncidents(t, s)
	if len(incs) != 3 || incs[1].Status != incident.Resolved || incs[2].Status != incident.Open || incs[2].Fingerprint != fpMiss {
		t.Fatalf("after resolution: %+v", incs)
	}
	if n := auditCount(t, s); n == 0 {
		t.Fatal("no audit events")
	}
}

// Senders that resend each other's notifications concurrently: every alert
// is stored once, with one incident.
func TestIngestResendsStoredOnce(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
	ctx := context.Background()
	var ps []*alertmanager.Payload
	for n := 0; n < 6; n++ {
		a := sigAlert{status: "firing", starts: clock.T.Add(-time.Minute),
			labels: map[string]string{"alertname": "R", "service": "checkout-api", "env": "prod-eu", "n": fmt.Sprint(n)}}
		ps = append(ps, sigPayload(t, a))
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range ps {
				if _, err := s.IngestAlerts(ctx, sigBot, p); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	var signals, incidents int
	s.DB().QueryRow(`SELECT COUNT(*) FROM signals`).Scan(&signals)
	s.DB().QueryRow(`SELECT COUNT(*) FROM incidents`).Scan(&incidents)
	if signals != len(ps) || incidents != len(ps) {
		t.Fatalf("signals %d incidents %d, want %d", signals, incidents, len(ps))
	}
	auditCount(t, s)
}

package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/store"
	"fixgate/internal/store/storetest"
)

// Concurrent notifications (SQLite: stored in shared group transactions)
// each get their own answer and audit event; an alert sent by several
// senders at once is stored once.
func TestConcurrentNotificationsEachCommittedOnce(t *testing.T) {
	s, clock := storetest.Open(t)
	seed(t, s)
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

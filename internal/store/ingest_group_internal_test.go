package store

import (
	"fmt"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
)

// TestIngestGroupsBoundedInTime: on SQLite the next group takes the alerts
// the last groups stored in ingestGroupTime (the first notification
// whatever its size); on PostgreSQL, before any group, or without the
// bound, ingestGroupAlerts.
func TestIngestGroupsBoundedInTime(t *testing.T) {
	var q ingestQueue
	if got := q.limit(SQLite); got != ingestGroupAlerts {
		t.Fatalf("before any group: %d", got)
	}
	q.took(200*time.Millisecond, 2000) // 0.1 ms an alert
	if got := q.limit(SQLite); got != 500 {
		t.Fatalf("at 0.1 ms an alert: %d alerts, want 500 (50 ms)", got)
	}
	if got := q.limit(Postgres); got != ingestGroupAlerts {
		t.Fatalf("PostgreSQL: %d", got)
	}
	q.took(2*time.Second, 200) // 10 ms an alert: the average moves a quarter of the way
	if got := q.limit(SQLite); got != 19 {
		t.Fatalf("after a slow group: %d alerts, want 19 (2.575 ms an alert)", got)
	}
	for i := range 150 {
		q.pending = append(q.pending, &ingestReq{p: &alertmanager.Payload{Alerts: make([]alertmanager.Alert, 20)}, keys: []string{fmt.Sprint(i)}})
	}
	if g := q.next(q.limit(SQLite)); len(g) != 1 {
		t.Fatalf("a group of %d notifications of 20 alerts, want the first alone", len(g))
	}
	q.inflight = nil
	q.untimed = true
	if g := q.next(q.limit(SQLite)); len(g) != ingestGroupAlerts/20 {
		t.Fatalf("without the bound: a group of %d notifications, want %d", len(g), ingestGroupAlerts/20)
	}
}

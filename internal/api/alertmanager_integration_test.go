package api

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/testbin"
)

// TestAlertmanagerIntegration runs the real Alertmanager against fixgate:
// alerts posted to Alertmanager's API v2 reach POST /api/v1/hooks/alertmanager
// through its webhook receiver (bearer token of a pipeline user), its
// resends (repeat_interval) create no second signal or incident, and the
// resolved notification resolves the incident. Skipped only when the
// binary is missing, unless CI=true or FIXGATE_INTEGRATION=1: then that
// fails (testbin.Need).
func TestAlertmanagerIntegration(t *testing.T) {
	bin := testbin.Need(t, testbin.Alertmanager)[0]
	ta := newTestAPI(t)
	var hookCalls, hookOK atomic.Int64
	h := ta.srv.Handler()
	fix := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		h.ServeHTTP(rec, r)
		if r.URL.Path == "/api/v1/hooks/alertmanager" {
			hookCalls.Add(1)
			if rec.status < 300 {
				hookOK.Add(1)
			}
		}
	}))
	t.Cleanup(fix.Close)

	amURL := testbin.StartAlertmanager(t, bin, fix.URL+"/api/v1/hooks/alertmanager", ta.tokens["bot"])
	lbls := map[string]string{"alertname": "FixgateIntegration", "service": "checkout-api", "env": "prod-eu",
		"severity": "critical", "error_code": "E_IT"}
	fp := alertmanager.Fingerprint(lbls)
	startsAt := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	testbin.PostAlert(t, amURL, lbls, startsAt, time.Time{})

	db := ta.store.DB()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("fixgate saw %d webhook calls, %d acknowledged", hookCalls.Load(), hookOK.Load())
			dumpSignals(t, db)
		}
	})
	testbin.WaitFor(t, 60*time.Second, "fixgate has the signal and the incident", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM signals WHERE fingerprint = $1 AND status = 'firing'`, fp) >= 1 &&
			count(t, db, `SELECT COUNT(DISTINCT incident_id) FROM signals WHERE fingerprint = $1 AND incident_id IS NOT NULL`, fp) >= 1
	})
	first := hookOK.Load()
	testbin.WaitFor(t, 30*time.Second, "Alertmanager resends the notification (repeat_interval)", func() bool { return hookOK.Load() >= first+1 })
	if n := count(t, db, `SELECT COUNT(*) FROM signals WHERE fingerprint = $1 AND status = 'firing'`, fp); n != 1 {
		t.Fatalf("%d firing signals after %d notifications, want exactly 1", n, hookOK.Load())
	}
	if n := count(t, db, `SELECT COUNT(DISTINCT incident_id) FROM signals WHERE fingerprint = $1 AND incident_id IS NOT NULL`, fp); n != 1 {
		t.Fatalf("%d incidents for one alert, want 1", n)
	}
	var incID int64
	if err := db.QueryRow(`SELECT incident_id FROM signals WHERE fingerprint = $1 AND incident_id IS NOT NULL`, fp).Scan(&incID); err != nil {
		t.Fatal(err)
	}

	// Resolve: the same alert with endsAt in the past.
	testbin.PostAlert(t, amURL, lbls, startsAt, time.Now().UTC().Add(-time.Second))
	testbin.WaitFor(t, 60*time.Second, "the resolved notification resolves "+ident.Incident.Format(incID), func() bool {
		inc, err := ta.store.GetIncident(context.Background(), incID)
		return err == nil && inc.Status == incident.Resolved
	})
	if n := count(t, db, `SELECT COUNT(DISTINCT incident_id) FROM signals WHERE fingerprint = $1 AND incident_id IS NOT NULL`, fp); n != 1 {
		t.Fatalf("%d incidents after resolution, want 1", n)
	}
	t.Logf("%d webhook calls from Alertmanager, %d acknowledged", hookCalls.Load(), hookOK.Load())
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	once   sync.Once
}

func (s *statusRecorder) WriteHeader(code int) {
	s.once.Do(func() { s.status = code })
	s.ResponseWriter.WriteHeader(code)
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil && !strings.Contains(err.Error(), "no such table") {
		t.Fatal(err)
	}
	return n
}

// dumpSignals logs the stored signals (on failure).
func dumpSignals(t *testing.T, db *sql.DB) {
	rows, err := db.Query(`SELECT id, fingerprint, status, COALESCE(incident_id, 0), labels FROM signals ORDER BY id`)
	if err != nil {
		t.Logf("signals: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id, inc int64
		var fp, st, lbls string
		rows.Scan(&id, &fp, &st, &inc, &lbls)
		t.Logf("signal %d fingerprint %s %s incident %d %s", id, fp, st, inc, lbls)
	}
}

package api

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
)

// alertmanagerBinary is the Debian package's binary (.ci/run installs it).
const alertmanagerBinary = "prometheus-alertmanager"

// TestAlertmanagerIntegration runs the real Alertmanager against fixgate:
// alerts posted to Alertmanager's API v2 reach POST /api/v1/hooks/alertmanager
// through its webhook receiver (bearer token of a pipeline user), its
// resends (repeat_interval) create no second signal or incident, and the
// resolved notification resolves the incident. Skipped only when the
// binary is missing outside CI; in CI (CI=true) a missing binary fails.
func TestAlertmanagerIntegration(t *testing.T) {
	bin, err := exec.LookPath(alertmanagerBinary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (CI=true): .ci/run installs the Debian package prometheus-alertmanager", alertmanagerBinary)
		}
		t.Skipf("%s not installed (apt-get install prometheus-alertmanager)", alertmanagerBinary)
	}
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

	amURL := startAlertmanager(t, bin, fix.URL+"/api/v1/hooks/alertmanager", ta.tokens["bot"])
	lbls := map[string]string{"alertname": "FixgateIntegration", "service": "checkout-api", "env": "prod-eu",
		"severity": "critical", "error_code": "E_IT"}
	fp := alertmanager.Fingerprint(lbls)
	startsAt := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	postAlert(t, amURL, lbls, startsAt, time.Time{})

	db := ta.store.DB()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("fixgate saw %d webhook calls, %d acknowledged", hookCalls.Load(), hookOK.Load())
			dumpSignals(t, db)
		}
	})
	waitFor(t, 60*time.Second, "fixgate has the signal and the incident", func() bool {
		return count(t, db, `SELECT COUNT(*) FROM signals WHERE fingerprint = $1 AND status = 'firing'`, fp) >= 1 &&
			count(t, db, `SELECT COUNT(DISTINCT incident_id) FROM signals WHERE fingerprint = $1 AND incident_id IS NOT NULL`, fp) >= 1
	})
	first := hookOK.Load()
	waitFor(t, 30*time.Second, "Alertmanager resends the notification (repeat_interval)", func() bool { return hookOK.Load() >= first+1 })
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
	postAlert(t, amURL, lbls, startsAt, time.Now().UTC().Add(-time.Second))
	waitFor(t, 60*time.Second, "the resolved notification resolves "+ident.Incident.Format(incID), func() bool {
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

// startAlertmanager runs Alertmanager on a free loopback port with one
// webhook receiver at hook and returns its base URL.
func startAlertmanager(t *testing.T, bin, hook, token string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: fixgate
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: fixgate
    webhook_configs:
      - url: %q
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %q
`, hook, token)
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	return startDaemon(t, "alertmanager", bin, addr, "--config.file="+cfgPath, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=info")
}

// startDaemon runs bin with args (a Prometheus-family server listening on
// addr), stops it when the test ends (printing its output if the test
// failed) and waits until its /-/ready answers 200; it returns the base URL.
func startDaemon(t *testing.T, name, bin, addr string, args ...string) string {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", name, logs.String())
		}
	})
	base := "http://" + addr
	waitFor(t, 30*time.Second, name+" is ready", func() bool {
		select {
		case <-done:
			t.Fatalf("%s exited:\n%s", name, logs.String())
		default:
		}
		res, err := http.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return base
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// postAlert posts one alert to Alertmanager's API v2 (endsAt zero: firing).
func postAlert(t *testing.T, base string, lbls map[string]string, startsAt, endsAt time.Time) {
	t.Helper()
	a := map[string]any{"labels": lbls, "annotations": map[string]string{"summary": "integration test alert"},
		"startsAt": startsAt.Format(time.RFC3339Nano), "generatorURL": "http://prometheus.invalid/graph"}
	if !endsAt.IsZero() {
		a["endsAt"] = endsAt.Format(time.RFC3339Nano)
	}
	body, _ := json.Marshal([]any{a})
	res, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST /api/v2/alerts: %s", res.Status)
	}
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil && !strings.Contains(err.Error(), "no such table") {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond every 200ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
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

package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"fixgate/internal/metrics"
	"fixgate/internal/testbin"
)

// metricsServer is a test API whose server serves /metrics with token tok.
func metricsServer(t *testing.T, tok string) (*testAPI, *httptest.Server) {
	t.Helper()
	ta := newTestAPI(t)
	srv := New(Config{Store: ta.store, DataDir: t.TempDir(), Metrics: metrics.New(ta.store.DB()), MetricsToken: tok})
	h := httptest.NewServer(srv.Handler())
	t.Cleanup(h.Close)
	return ta, h
}

func scrape(t *testing.T, base, tok string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestMetricsExposition: requests, gate verdicts, Alertmanager notifications
// and the database pool appear under their names; the metrics token, when
// set, is required.
func TestMetricsExposition(t *testing.T) {
	ta, h := metricsServer(t, "scrape-secret")
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/hooks/alertmanager", strings.NewReader(amPayload("firing")))
	req.Header.Set("Authorization", "Bearer "+ta.tokens["bot"])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("alertmanager hook: %v %v", err, res.Status)
	}
	res.Body.Close()
	if code, _ := scrape(t, h.URL, ""); code != 401 {
		t.Fatalf("/metrics without the token: %d, want 401", code)
	}
	if code, _ := scrape(t, h.URL, "wrong"); code != 401 {
		t.Fatalf("/metrics with a wrong token: %d, want 401", code)
	}
	code, body := scrape(t, h.URL, "scrape-secret")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, want := range []string{
		`fixgate_http_request_duration_seconds_count{code="200",method="POST",route="POST /api/v1/hooks/alertmanager"} 1`,
		`fixgate_http_request_duration_seconds_count{code="401",method="GET",route="GET /metrics"} 2`,
		`fixgate_alertmanager_notifications_total 1`,
		`fixgate_alertmanager_alerts_total{outcome="new"} 1`,
		`go_sql_max_open_connections{db_name="fixgate"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

// amPayload is a one-alert Alertmanager notification for checkout-api in prod-eu.
func amPayload(status string) string {
	return `{"version":"4","groupKey":"{}:{alertname=\"MetricsTest\"}","status":"` + status + `","receiver":"fixgate",
	"groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://am.invalid","truncatedAlerts":0,
	"alerts":[{"status":"` + status + `","labels":{"alertname":"MetricsTest","service":"checkout-api","env":"prod-eu"},
	"annotations":{},"startsAt":"2026-03-02T09:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"",
	"fingerprint":"0123456789abcdef"}]}`
}

// TestPrometheusScrapesMetrics runs the real Prometheus (Debian's package)
// against /metrics with the metrics token, checks the exposition with
// promtool, and asks Prometheus for what it scraped. Skipped only when the
// binaries are missing, unless CI=true or FIXGATE_INTEGRATION=1: then that
// fails (testbin.Need).
func TestPrometheusScrapesMetrics(t *testing.T) {
	bins := testbin.Need(t, testbin.Prometheus, "promtool")
	bin, promtool := bins[0], bins[1]
	_, h := metricsServer(t, "scrape-secret")
	_, body := scrape(t, h.URL, "scrape-secret")
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(body)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	prom := testbin.StartPrometheusWith(t, bin, testbin.Scrape{Job: "fixgate", Token: "scrape-secret",
		Targets: []string{strings.TrimPrefix(h.URL, "http://")}})
	testbin.WaitFor(t, 60*time.Second, "Prometheus has scraped fixgate", func() bool {
		v, ok := testbin.Query(prom, `up{job="fixgate"}`)
		return ok && v == 1
	})
	v, ok := testbin.Query(prom, `sum(fixgate_http_request_duration_seconds_count{route="GET /metrics",code="200"})`)
	if !ok || v < 1 {
		t.Fatalf("Prometheus sees %v scrapes of /metrics (ok=%v), want at least 1", v, ok)
	}
}

package prom_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/prom"
)

// app is a tiny service whose request counters the test sets; it serves
// them in Prometheus's text format.
type app struct{ ok, errors atomic.Int64 }

func (a *app) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP app_requests_total Requests served.\n# TYPE app_requests_total counter\n")
	fmt.Fprintf(w, "app_requests_total{code=\"200\",version=\"1.4.3\"} %d\n", a.ok.Load())
	fmt.Fprintf(w, "app_requests_total{code=\"500\",version=\"1.4.3\"} %d\n", a.errors.Load())
}

// TestPrometheusQueryIntegration runs the real Prometheus (Debian package
// prometheus) scraping a test app every second, and queries it through
// Client: a scalar, a one-series vector, a two-series vector, no data, and
// the errors of a range vector and a bad query. Skipped when the binary is
// missing, unless FIXGATE_INTEGRATION=1 or CI=true: then that fails.
func TestPrometheusQueryIntegration(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("FIXGATE_INTEGRATION") == "1" || os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed (FIXGATE_INTEGRATION=1 or CI=true): apt-get install prometheus (.ci/run does)")
		}
		t.Skip("prometheus not installed (apt-get install prometheus); FIXGATE_INTEGRATION=1 makes this a failure")
	}
	a := &app{}
	a.ok.Store(100)
	a.errors.Store(7)
	target := httptest.NewServer(a)
	t.Cleanup(target.Close)
	base := startPrometheus(t, bin, strings.TrimPrefix(target.URL, "http://"))
	c, err := prom.New(base, prom.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"version": "1.4.3", "env": "test", "ci": "app", "stage": "canary", "previous_version": "1.4.2"}
	query := func(q string) (analysis.Result, error) {
		t.Helper()
		rendered, err := prom.Render(q, vars)
		if err != nil {
			t.Fatal(err)
		}
		return c.Query(context.Background(), rendered, time.Now())
	}
	errorsQ := `scalar(sum(app_requests_total{version="{{version}}",code="500"}))`
	waitFor(t, 60*time.Second, "Prometheus has scraped the app", func() bool {
		r, err := query(errorsQ)
		return err == nil && r.Scalar != nil && *r.Scalar == 7
	})

	a.errors.Store(42) // the test controls the counter: the next scrape shows it
	waitFor(t, 30*time.Second, "Prometheus sees the new error count", func() bool {
		r, err := query(errorsQ)
		return err == nil && r.Scalar != nil && *r.Scalar == 42
	})

	r, err := query(`sum(app_requests_total{version="{{version}}"})`)
	if err != nil || r.Scalar == nil || *r.Scalar != 142 || r.Series != nil {
		t.Errorf("one-series vector = %+v, %v; want scalar 142 and no series", r, err)
	}

	r, err = query(`app_requests_total{version="{{version}}"}`)
	if err != nil || r.Scalar != nil || len(r.Series) != 2 {
		t.Fatalf("two-series vector = %+v, %v; want 2 series", r, err)
	}
	if r.Series[0].Labels["code"] != "200" || r.Series[0].Value != 100 || r.Series[1].Labels["code"] != "500" || r.Series[1].Value != 42 {
		t.Errorf("series not sorted by labels or wrong values: %+v", r.Series)
	}
	if r.Series[1].Labels["job"] != "app" || r.Series[1].Labels["__name__"] != "app_requests_total" {
		t.Errorf("series labels = %v, want the scraped labels", r.Series[1].Labels)
	}

	r, err = query(`app_requests_total{version="{{previous_version}}"}`)
	if err != nil || r.Scalar != nil || r.Series != nil {
		t.Errorf("empty vector = %+v, %v; want no data", r, err)
	}

	if _, err := query(`app_requests_total[1m]`); err == nil || !strings.Contains(err.Error(), "range vector") {
		t.Errorf("range query = %v, want a range vector error", err)
	}
	if _, err := query(`sum(app_requests_total`); err == nil || !strings.HasPrefix(err.Error(), "prometheus: ") {
		t.Errorf("bad query = %v, want a prometheus error", err)
	}
}

// startPrometheus runs Prometheus on a free loopback port, scraping target
// every second, and returns its base URL once /-/ready answers.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [%q]\n", target)
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	return startDaemon(t, "prometheus", bin, addr, "--config.file="+path, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
}

// startDaemon runs bin with args (a Prometheus-family server listening on
// addr), stops it when the test ends (printing its output if the test
// failed) and waits until its /-/ready answers 200; it returns the base URL.
// (A copy of internal/api's helper: test helpers are not importable.)
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

package prom_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/prom"
	"fixgate/internal/testbin"
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
// missing, unless FIXGATE_INTEGRATION=1 or CI=true: then that fails
// (testbin.Need).
func TestPrometheusQueryIntegration(t *testing.T) {
	bin := testbin.Need(t, testbin.Prometheus)[0]
	a := &app{}
	a.ok.Store(100)
	a.errors.Store(7)
	target := httptest.NewServer(a)
	t.Cleanup(target.Close)
	base := testbin.StartPrometheus(t, bin, strings.TrimPrefix(target.URL, "http://"))
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
	testbin.WaitFor(t, 60*time.Second, "Prometheus has scraped the app", func() bool {
		r, err := query(errorsQ)
		return err == nil && r.Scalar != nil && *r.Scalar == 7
	})

	a.errors.Store(42) // the test controls the counter: the next scrape shows it
	testbin.WaitFor(t, 30*time.Second, "Prometheus sees the new error count", func() bool {
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

// Package prom is the Prometheus adapter of deployment analysis: it renders
// a check's query with the deployment's facts and asks Prometheus's HTTP API
// (prometheus/client_golang) for its instant value, as an analysis.Result.
// Judging the value is internal/analysis's work.
//
// The Prometheus URL comes from the operator (`fixgate serve
// --prometheus-url`, FIXGATE_PROMETHEUS_URL), never from an API user or a
// policy file, so it is trusted: unlike webhook targets, loopback and
// private addresses are allowed (Prometheus usually runs next to fixgate).
package prom

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"fixgate/internal/analysis"
	"fixgate/internal/fault"
)

// DefaultTimeout bounds one query when the caller's context has no earlier deadline.
const DefaultTimeout = 30 * time.Second

// Client queries one Prometheus server. It is safe for concurrent use.
type Client struct {
	api     v1.API
	timeout time.Duration
}

// Option configures a Client.
type Option func(*options)

type options struct {
	http    *http.Client
	timeout time.Duration
}

// WithHTTPClient sends the queries through hc (TLS settings, proxies,
// authentication by a RoundTripper).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.http = hc } }

// WithTimeout bounds each query (default DefaultTimeout).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// New returns a client of the Prometheus server at rawURL, an absolute
// http(s) URL (a path prefix such as /prometheus is kept). An invalid URL is
// an Invalid fault on field prometheus_url. New does no I/O.
func New(rawURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fault.Field("prometheus_url", "%q is not an absolute http(s) URL", rawURL)
	}
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout <= 0 {
		return nil, fault.Field("prometheus_timeout", "must be positive")
	}
	cfg := api.Config{Address: strings.TrimSuffix(rawURL, "/")}
	if o.http != nil {
		cfg.Client = o.http
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fault.Field("prometheus_url", "%v", err)
	}
	return &Client{api: v1.NewAPI(c), timeout: o.timeout}, nil
}

// Query evaluates query (already rendered) at time at. A scalar, or a
// vector of one series, gives Result.Scalar (the series' labels are
// dropped); a vector of several series gives Result.Series sorted by their
// label sets (so results are deterministic); an empty vector gives an empty
// Result: no data. A range vector (matrix) or a string is an error: a
// check's query must give an instant value. Warnings Prometheus returns are
// kept in Result.Warnings. Errors (unreachable server, bad query, timeout)
// are returned as they are, prefixed "prometheus: ".
func (c *Client) Query(ctx context.Context, query string, at time.Time) (analysis.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	v, warnings, _, err := c.api.Query(ctx, query, at)
	if err != nil {
		return analysis.Result{}, fmt.Errorf("prometheus: %w", err)
	}
	r, err := convert(v)
	if err != nil {
		return analysis.Result{}, err
	}
	r.Warnings = []string(warnings)
	return r, nil
}

// convert turns a Prometheus value into a Result.
func convert(v model.Value) (analysis.Result, error) {
	switch v := v.(type) {
	case *model.Scalar:
		f := float64(v.Value)
		return analysis.Result{Scalar: &f}, nil
	case model.Vector:
		return vector(v), nil
	case model.Matrix:
		return analysis.Result{}, fmt.Errorf("prometheus: the query gave a range vector (%d series); a check needs an instant vector or a scalar: drop the [range] or wrap it in a function such as rate()", len(v))
	case nil:
		return analysis.Result{}, fmt.Errorf("prometheus: the query gave no value")
	}
	return analysis.Result{}, fmt.Errorf("prometheus: the query gave a %s; a check needs an instant vector or a scalar", v.Type())
}

func vector(v model.Vector) analysis.Result {
	switch len(v) {
	case 0:
		return analysis.Result{}
	case 1:
		f := float64(v[0].Value)
		return analysis.Result{Scalar: &f}
	}
	samples := slices.Clone(v)
	slices.SortFunc(samples, func(a, b *model.Sample) int { return strings.Compare(a.Metric.String(), b.Metric.String()) })
	series := make([]analysis.Series, len(samples))
	for i, s := range samples {
		labels := make(map[string]string, len(s.Metric))
		for k, val := range s.Metric {
			labels[string(k)] = string(val)
		}
		series[i] = analysis.Series{Labels: labels, Value: float64(s.Value)}
	}
	return analysis.Result{Series: series}
}

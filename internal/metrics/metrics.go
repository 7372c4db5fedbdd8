// Package metrics holds the server's Prometheus metrics on a registry of
// its own (never the global one), served at /metrics in the exposition
// format. A nil *Metrics records nothing, so tests and tools that do not
// serve metrics need not create one.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's instruments.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.HistogramVec
	gateVerdicts  *prometheus.CounterVec
	notifications prometheus.Counter
	alerts        *prometheus.CounterVec
	jobRuns       *prometheus.CounterVec
	jobFailures   *prometheus.CounterVec
	rollouts      rollouts // rollouts.go
}

// New registers every instrument, the Go and process collectors and the
// database pool statistics of db on a new registry.
func New(db *sql.DB) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fixgate_http_request_duration_seconds",
		Help:    "HTTP requests by method, route pattern and status code.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10}}, []string{"method", "route", "code"})
	m.gateVerdicts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_gate_verdicts_total",
		Help: "Gate evaluations answered, by decision."}, []string{"decision"})
	m.notifications = prometheus.NewCounter(prometheus.CounterOpts{Name: "fixgate_alertmanager_notifications_total",
		Help: "Alertmanager webhook notifications committed."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_alertmanager_alerts_total",
		Help: "Alerts in committed Alertmanager notifications: new signals or duplicates (resends)."}, []string{"outcome"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_job_runs_total",
		Help: "Background job steps run, by job."}, []string{"job"})
	m.jobFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_job_failures_total",
		Help: "Background job steps that failed, by job."}, []string{"job"})
	m.reg.MustRegister(m.requests, m.gateVerdicts, m.notifications, m.alerts, m.jobRuns, m.jobFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.rollouts = newRollouts(m.reg)
	if db != nil {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, "fixgate"))
	}
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Request records one served HTTP request.
func (m *Metrics) Request(method, route string, code int, d time.Duration) {
	if m != nil {
		m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Observe(d.Seconds())
	}
}

// GateVerdict counts one answered gate evaluation.
func (m *Metrics) GateVerdict(decision string) {
	if m != nil {
		m.gateVerdicts.WithLabelValues(decision).Inc()
	}
}

// Notification counts one committed Alertmanager notification and its alerts.
func (m *Metrics) Notification(newSignals, duplicates int) {
	if m != nil {
		m.notifications.Inc()
		m.alerts.WithLabelValues("new").Add(float64(newSignals))
		m.alerts.WithLabelValues("duplicate").Add(float64(duplicates))
	}
}

// JobRun counts one run of a background job step, and a failure when err is set.
func (m *Metrics) JobRun(job string, err error) {
	if m != nil {
		m.jobRuns.WithLabelValues(job).Inc()
		if err != nil {
			m.jobFailures.WithLabelValues(job).Inc()
		}
	}
}

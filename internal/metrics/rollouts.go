package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The rollout engine's outcomes (issue 11), told by engine.Runner's
// OnOutcome and OnRollbackStart hooks and by the API (blocked, aborted).
var (
	// DeploymentOutcomes are the outcomes fixgate_deployments_total counts.
	DeploymentOutcomes = []string{"succeeded", "rolled_back", "failed", "aborted", "blocked", "paused", "verified"}
	// RollbackCauses are the cause classes of fixgate_rollbacks_total (engine.CauseClass).
	RollbackCauses = []string{"measurement", "recurrence", "incident", "driver", "gate", "person"}
)

type rollouts struct {
	deployments  *prometheus.CounterVec
	measurements *prometheus.CounterVec
	rollbacks    *prometheus.CounterVec
	start        *prometheus.HistogramVec
}

// newRollouts registers the rollout instruments on reg, each known label
// value at 0 so that dashboards and alerts see the series before the first event.
func newRollouts(reg *prometheus.Registry) rollouts {
	r := rollouts{
		deployments: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_deployments_total",
			Help: "Deployment outcomes: succeeded (100 %), verified (watch passed), rolled_back, paused, blocked (by the gate), aborted, failed."},
			[]string{"outcome"}),
		measurements: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_measurements_total",
			Help: "Measurements of the rollout analysis, by check kind (prometheus, recurrence, incidents) and outcome."},
			[]string{"kind", "outcome"}),
		rollbacks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "fixgate_rollbacks_total",
			Help: "Rollbacks started, by cause: measurement, recurrence, incident, driver, gate, person."}, []string{"cause"}),
		start: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fixgate_rollback_start_seconds",
			Help:    "Time from a rollback's evidence (alert or incident received, measurement returned, action failed, command received) to the rollback driver's start, by cause.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"cause"}),
	}
	reg.MustRegister(r.deployments, r.measurements, r.rollbacks, r.start)
	for _, o := range DeploymentOutcomes {
		r.deployments.WithLabelValues(o)
	}
	for _, c := range RollbackCauses {
		r.rollbacks.WithLabelValues(c)
	}
	return r
}

// Deployment counts one deployment outcome (one of DeploymentOutcomes).
func (m *Metrics) Deployment(outcome string) {
	if m != nil {
		m.rollouts.deployments.WithLabelValues(outcome).Inc()
	}
}

// Measurement counts one measurement of the analysis.
func (m *Metrics) Measurement(kind, outcome string) {
	if m != nil {
		m.rollouts.measurements.WithLabelValues(kind, outcome).Inc()
	}
}

// RollbackStarted counts one rollback whose driver started latency after
// its evidence, cause being its class (one of RollbackCauses).
func (m *Metrics) RollbackStarted(cause string, latency time.Duration) {
	if m != nil {
		m.rollouts.rollbacks.WithLabelValues(cause).Inc()
		m.rollouts.start.WithLabelValues(cause).Observe(latency.Seconds())
	}
}

// Outcome is engine.Runner's OnOutcome: kind "deployment" counts a
// deployment outcome, any other kind (the check's) a measurement.
func (m *Metrics) Outcome(kind, outcome string) {
	if kind == "deployment" {
		m.Deployment(outcome)
		return
	}
	m.Measurement(kind, outcome)
}

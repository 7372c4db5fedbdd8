// Package analysis decides what a deployment's measurements mean: the
// outcome of one measurement (successful, failed, inconclusive, error) from
// a check's conditions and the value a query returned, and the state of a
// check from its measurements and limits. It does no I/O: the Prometheus
// adapter (internal/prom) and the store gather the values.
package analysis

import (
	"encoding/json"
	"time"
)

// Outcomes of one measurement.
const (
	Successful   = "successful"
	Failed       = "failed"
	Inconclusive = "inconclusive"
	Error        = "error"
)

// States of a check over its measurements.
const (
	Running = "running" // needs more measurements
	Passed  = "passed"  // every measurement it needed was successful
	Failing = "failed"  // failure_limit exceeded, or consecutive errors exceeded
	Paused  = "paused"  // inconclusive_limit exceeded: a person decides
)

// Series is one series of a vector result.
type Series struct {
	Labels map[string]string `json:"labels"`
	Value  float64           `json:"value"`
}

// Result is what a query returned. Scalar is set for a scalar or a vector
// of one series; Series for several series; neither for no data.
type Result struct {
	Scalar *float64 `json:"scalar,omitempty"`
	Series []Series `json:"series,omitempty"`
	// Warnings are what Prometheus warned about the query (kept for the log).
	Warnings []string `json:"warnings,omitempty"`
}

// Measurement is one stored measurement of a check.
type Measurement struct {
	Deployment string          `json:"deployment"` // DEP-n
	Stage      string          `json:"stage"`
	Template   string          `json:"template"`
	Check      string          `json:"check"`
	Kind       string          `json:"kind"` // prometheus, recurrence, incidents
	At         time.Time       `json:"at"`
	Query      string          `json:"query,omitempty"` // the resolved query
	Value      json.RawMessage `json:"value,omitempty"` // Result, or counts for recurrence/incidents
	Outcome    string          `json:"outcome"`
	Message    string          `json:"message,omitempty"`
	Records    []string        `json:"records,omitempty"` // SIG-n, INC-n behind a failure
}

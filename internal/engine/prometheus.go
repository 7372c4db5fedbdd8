package engine

import (
	"context"
	"encoding/json"

	"fixgate/internal/analysis"
	"fixgate/internal/prom"
)

// Prometheus measures prometheus checks through a Prometheus server's
// query API: the check's query rendered with the deployment's variables,
// run as an instant query at the measurement's time, its result classified
// by the check's conditions (analysis.Classify). A query that cannot run
// is an Error measurement, which the check's consecutive_error_limit
// bounds.
type Prometheus struct {
	Client *prom.Client
}

// Measure takes one measurement.
func (p Prometheus) Measure(ctx context.Context, q Query) analysis.Measurement {
	m := analysis.Measurement{At: q.At}
	pc := q.Check.Prometheus
	query, err := prom.Render(pc.Query, q.Vars)
	if err != nil {
		m.Outcome, m.Message = analysis.Error, err.Error()
		return m
	}
	m.Query = query
	res, err := p.Client.Query(ctx, query, q.At)
	if err != nil {
		m.Outcome, m.Message = analysis.Error, err.Error()
		return m
	}
	m.Value, _ = json.Marshal(res)
	m.Outcome, m.Message = analysis.Classify(pc, res)
	return m
}

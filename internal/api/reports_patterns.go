package api

import (
	"net/http"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

type patternsOut = report.Patterns

// patternsReport answers GET /api/v1/reports/patterns?since=90d&env=E&ci=C:
// failed problem-fix deployments by dimension, release size and frequency
// against failure and recurrence, with recommendations on stated evidence
// (docs/reports.md). Readers and parameters as the KPI report.
func (s *Server) patternsReport(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	since, err := reportSince(q.Get("since"))
	if err != nil {
		return err
	}
	p, err := s.store.PatternsReport(r.Context(), since, q.Get("env"), q.Get("ci"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

// reportSince parses a report's ?since (a policy duration: 30d, 12w, 1y;
// DefaultReportPeriod when empty). Returns Invalid naming "since".
func reportSince(v string) (time.Duration, error) {
	if v == "" {
		return DefaultReportPeriod, nil
	}
	d, err := policy.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fault.Field("since", "%q is not a period such as 90d, 12w or 1y", v)
	}
	return d, nil
}

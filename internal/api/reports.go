package api

import (
	"net/http"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/report"
)

// reportReaders may read the KPI report: every role but pipeline (a
// pipeline has no use for process figures; they are for the people who
// run and audit the process).
var reportReaders = []auth.Role{auth.Admin, auth.ProblemManager, auth.ReleaseManager, auth.Engineer, auth.CABMember,
	auth.Validator, auth.Auditor}

// DefaultReportPeriod is the period of a report without ?since.
const DefaultReportPeriod = 90 * 24 * time.Hour

type kpiOut = report.KPI

// kpiReport answers GET /api/v1/reports/kpi?since=90d&env=E&ci=C: the KPI
// report of the period ending now, with the success criteria of the change
// models of the policy in force. since is a policy duration (30d, 12w, 1y).
func (s *Server) kpiReport(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	since := DefaultReportPeriod
	if v := q.Get("since"); v != "" {
		d, err := policy.ParseDuration(v)
		if err != nil || d <= 0 {
			return fault.Field("since", "%q is not a period such as 90d, 12w or 1y", v)
		}
		since = d
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	targets := map[string]policy.Targets{}
	for name, m := range ap.pol.ChangeModels {
		targets[name] = m.Targets
	}
	k, err := s.store.KPIReport(r.Context(), since, q.Get("env"), q.Get("ci"), targets)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, k)
}

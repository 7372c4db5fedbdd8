package report

import "sort"

// Reasons a deployment counts as failed.
const (
	ReasonRolledBack = "rolled_back" // rolled back, or rolling back
	ReasonFailed     = "failed"
	ReasonIncident   = "incident" // an incident attributed to it opened within its watch window
)

// FailingStatuses are the deployment states that are failures by
// themselves; the store selects candidates with them and FailureReasons
// decides.
var FailingStatuses = []string{"rolling_back", "rolled_back", "failed"}

// Counted reports whether a started deployment in status counts in the
// change failure rate's denominator: every one but an aborted one (it
// was stopped by a person before it changed anything for good).
func Counted(status string) bool { return status != "aborted" }

// FailureReasons returns why a counted deployment in status, with
// incidents attributed to it within its watch window (from its start to
// the end of its watch, or its end when it had no watch), failed: empty
// when it did not. Every incident record is an interruption that needed
// remediation; fixgate keeps no "no action needed" mark.
func FailureReasons(status string, incidents int64) []string {
	var rs []string
	switch status {
	case "rolling_back", "rolled_back":
		rs = append(rs, ReasonRolledBack)
	case "failed":
		rs = append(rs, ReasonFailed)
	}
	if incidents > 0 {
		rs = append(rs, ReasonIncident)
	}
	return rs
}

// DeploymentGroup counts the deployments of one group (Key: a release
// type, or a team) in one status, with (Incident) or without an incident
// attributed within the watch window, started in one calendar month (UTC,
// "YYYY-MM"; "" when not split by month). The store loads them with GROUP BY.
type DeploymentGroup struct {
	Key      string
	Month    string
	Status   string
	Incident bool
	Count    int64
}

// FailedDeployment is one deployment behind a failure count.
type FailedDeployment struct {
	ID        string   `json:"id"`
	Release   string   `json:"release"`
	Env       string   `json:"env"`
	Status    string   `json:"status"`
	Incidents int64    `json:"incidents"`
	Reasons   []string `json:"reasons"`
}

// DeploymentFact is a deployment that may have failed (a failing status or
// an attributed incident), with the group it counts in.
type DeploymentFact struct {
	FailedDeployment
	Key string
}

// FailureRate is a change failure rate: failed of total counted
// deployments, the rate (nil when total is 0) and the failed deployments.
type FailureRate struct {
	Failed      int64              `json:"failed"`
	Total       int64              `json:"total"`
	Rate        *float64           `json:"rate"`
	Deployments []FailedDeployment `json:"deployments"`
}

// FailureRates sums groups into one FailureRate per key (keys always
// hold an entry, possibly of zeros) and lists, per key, the candidates
// FailureReasons calls failed, in the order given.
func FailureRates(keys []string, groups []DeploymentGroup, candidates []DeploymentFact) map[string]FailureRate {
	out := map[string]FailureRate{}
	for _, k := range keys {
		out[k] = FailureRate{Deployments: []FailedDeployment{}}
	}
	for _, g := range groups {
		if !Counted(g.Status) {
			continue
		}
		r := out[g.Key]
		if r.Deployments == nil {
			r.Deployments = []FailedDeployment{}
		}
		r.Total += g.Count
		n := int64(0)
		if g.Incident {
			n = 1
		}
		if len(FailureReasons(g.Status, n)) > 0 {
			r.Failed += g.Count
		}
		out[g.Key] = r
	}
	for _, c := range candidates {
		if !Counted(c.Status) {
			continue
		}
		if c.Reasons = FailureReasons(c.Status, c.Incidents); len(c.Reasons) == 0 {
			continue
		}
		r := out[c.Key]
		r.Deployments = append(r.Deployments, c.FailedDeployment)
		out[c.Key] = r
	}
	for k, r := range out {
		r.Rate = Rate(r.Failed, r.Total)
		out[k] = r
	}
	return out
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

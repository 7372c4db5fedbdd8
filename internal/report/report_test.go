package report

import (
	"testing"
	"time"
)

// TestRateAndPercentiles: a rate over nothing is null; nearest-rank
// percentiles match DurationsOf's picks from a histogram.
func TestRateAndPercentiles(t *testing.T) {
	if Rate(3, 0) != nil || *Rate(1, 3) != 0.3333 {
		t.Fatal("Rate")
	}
	s := []int64{50, 10, 40, 20, 30, 60, 70, 80, 90, 100}
	if *Percentile(s, Median) != 50 || *Percentile(s, P90) != 90 || Percentile(nil, Median) != nil {
		t.Fatal("Percentile")
	}
	var h []ValueCount
	for _, v := range s {
		h = append(h, ValueCount{Seconds: v, Count: 1})
	}
	d := DurationsOf(h)
	if d.N != 10 || *d.MedianSec != 50 || *d.P90Sec != 90 {
		t.Fatalf("DurationsOf: %+v", d)
	}
	// 7 × 10 s, 2 × 20 s, 1 × 99 s: median rank 5 → 10, p90 rank 9 → 20
	d = DurationsOf([]ValueCount{{99, 1}, {20, 2}, {10, 7}})
	if d.N != 10 || *d.MedianSec != 10 || *d.P90Sec != 20 {
		t.Fatalf("DurationsOf histogram: %+v", d)
	}
	if d := DurationsOf(nil); d.N != 0 || d.MedianSec != nil || d.P90Sec != nil {
		t.Fatalf("empty: %+v", d)
	}
}

// TestFailureRates: rolled back, failed and attributed-incident
// deployments fail; aborted ones do not count; a key without deployments
// is zeros with a null rate.
func TestFailureRates(t *testing.T) {
	groups := []DeploymentGroup{{Key: "feature", Status: "succeeded", Count: 5}, {Key: "feature", Status: "succeeded", Incident: true, Count: 1},
		{Key: "feature", Status: "rolled_back", Count: 2}, {Key: "feature", Status: "aborted", Count: 4}, {Key: "feature", Status: "failed", Count: 1}}
	cands := []DeploymentFact{{Key: "feature", FailedDeployment: FailedDeployment{ID: "DEP-1", Status: "aborted", Incidents: 1}},
		{Key: "feature", FailedDeployment: FailedDeployment{ID: "DEP-2", Status: "succeeded", Incidents: 1}}}
	r := FailureRates([]string{"feature", "problem-fix"}, groups, cands)
	f := r["feature"]
	if f.Failed != 4 || f.Total != 9 || *f.Rate != 0.4444 || len(f.Deployments) != 1 || f.Deployments[0].ID != "DEP-2" {
		t.Fatalf("feature: %+v", f)
	}
	if p := r["problem-fix"]; p.Total != 0 || p.Rate != nil || p.Deployments == nil {
		t.Fatalf("problem-fix: %+v", p)
	}
}

// TestMonthlyFailureRates: every month of the period is listed, groups
// land in their month by release type with the failure rule of
// FailureRates, aborted deployments do not count, a month without
// deployments has null rates.
func TestMonthlyFailureRates(t *testing.T) {
	since := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	months := Months(since, since.AddDate(0, 2, 0))
	if len(months) != 3 || months[0] != "2026-01" || months[2] != "2026-03" {
		t.Fatalf("months %v", months)
	}
	groups := []DeploymentGroup{{Key: "problem-fix", Month: "2026-01", Status: "succeeded", Count: 3},
		{Key: "problem-fix", Month: "2026-01", Status: "rolled_back", Count: 1},
		{Key: "feature", Month: "2026-03", Status: "succeeded", Incident: true, Count: 2},
		{Key: "feature", Month: "2026-03", Status: "aborted", Count: 5},
		{Key: "feature", Month: "2025-12", Status: "failed", Count: 9}}
	r := MonthlyFailureRates(months, groups)
	if p := r[0].ProblemFix; p.Failed != 1 || p.Total != 4 || *p.Rate != 0.25 {
		t.Fatalf("January problem fixes %+v", p)
	}
	if f := r[2].Feature; f.Failed != 2 || f.Total != 2 || *f.Rate != 1 {
		t.Fatalf("March features %+v", f)
	}
	if f := r[1].Feature; f.Total != 0 || f.Rate != nil {
		t.Fatalf("February %+v", f)
	}
}

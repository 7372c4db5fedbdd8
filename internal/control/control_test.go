package control

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string][2]string{
		"2026-Q3": {"2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z"},
		"2026-q4": {"2026-10-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		"2026-02": {"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
		"2026":    {"2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
	} {
		p, err := ParsePeriod(in)
		if err != nil || !p.From.Equal(at(want[0])) || !p.To.Equal(at(want[1])) {
			t.Errorf("%s: %+v %v, want %v", in, p, err, want)
		}
	}
	for _, in := range []string{"", "2026-Q5", "2026-13", "26-Q1", "2026-", "2026-Q3-1", "Q3"} {
		if _, err := ParsePeriod(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if p := MonthBefore(at("2026-01-15T10:00:00Z")); p.Name != "2025-12" || !p.To.Equal(at("2026-01-01T00:00:00Z")) {
		t.Errorf("MonthBefore = %+v", p)
	}
}

// TestAssessFindsEachException gives each control one record that breaks
// it and one that does not, and checks the exception names the right record.
func TestAssessFindsEachException(t *testing.T) {
	validated, late := at("2026-07-01T00:00:00Z"), at("2026-07-03T00:00:00Z")
	until := at("2026-07-10T00:00:00Z")
	f := Facts{
		Deployments: []Deployment{
			{ID: "DEP-1", Release: "REL-1", Env: "prod", Change: "CHG-1", ChangeStatus: "closed", Gate: "GATE-1", GateDecision: "allowed", Approvals: "pass",
				Deviations: []Deviation{{Step: "cab", Reason: "outage", ApprovedBy: "paula"}}},
			{ID: "DEP-2", Release: "REL-2", Env: "prod", Change: "CHG-2", ChangeStatus: "assess", Gate: "GATE-2", GateDecision: "blocked", Approvals: "fail",
				Deviations: []Deviation{{Step: "window", Reason: "", ApprovedBy: "paula"}}},
		},
		DeploymentCount: 2,
		GatedCount:      2,
		Fixes: []Fix{{Deployment: "DEP-1", Problem: "PRB-1", StartedAt: at("2026-07-02T00:00:00Z"), Validated: &validated},
			{Deployment: "DEP-2", Problem: "PRB-2", StartedAt: at("2026-07-02T00:00:00Z"), Validated: &late}},
		FixCount:      2,
		Approvals:     3,
		SelfApprovals: []SelfApproval{{Approval: "APR-3", Record: "REL-2", Approver: "erin", As: "created"}},
		Fixed:         []FixedProblem{{Problem: "PRB-1", PIR: "PIR-1"}, {Problem: "PRB-2"}},
		Closed: []Closure{{Problem: "PRB-1", ClosedAt: at("2026-07-11T00:00:00Z"), ObservationUntil: &until},
			{Problem: "PRB-2", ClosedAt: at("2026-07-09T00:00:00Z"), ObservationUntil: &until}},
		Audit:    AuditCheck{Events: 40, Checkpoint: 40, Broken: "event 7 edited"},
		Evidence: []Evidence{{Release: "REL-1", Kind: "rca", Retention: "audit-long"}, {Release: "REL-2", Kind: "test_report", Retention: "standard"}},
	}
	want := map[string]struct {
		sample  int
		records string
		reason  string
	}{
		GateAndChange:   {2, "DEP-2 CHG-2", "was blocked"},
		RCABeforeDeploy: {2, "PRB-2", "after DEP-2 started"},
		Separation:      {3, "APR-3", "erin approved REL-2"},
		ApprovalsByRisk: {2, "DEP-2", "gave approvals fail"},
		Deviations:      {2, "CHG-2", `skipping "window"`},
		PIRForFix:       {2, "PRB-2", "no post-implementation review"},
		Observation:     {2, "PRB-2", "before its observation period ended"},
		AuditChain:      {40, "audit", "event 7 edited"},
		Retention:       {2, "REL-2", "kept standard"},
	}
	rs := Assess(f)
	if len(rs) != len(All) {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		w := want[r.ID]
		var recs, reasons []string
		for _, e := range r.Exceptions {
			recs, reasons = append(recs, e.Record), append(reasons, e.Reason)
		}
		if r.ID != All[i].ID || r.Passed || r.Sample != w.sample || strings.Join(recs, " ") != w.records ||
			!strings.Contains(strings.Join(reasons, " | "), w.reason) {
			t.Errorf("%s: sample %d exceptions %v, want sample %d records %q reason ~%q", r.ID, r.Sample, r.Exceptions, w.sample, w.records, w.reason)
		}
	}
}

func TestAssessEmptyPasses(t *testing.T) {
	for _, r := range Assess(Facts{Audit: AuditCheck{Checkpoint: 1, Events: 1}}) {
		if !r.Passed || r.Exceptions == nil || (r.ID != AuditChain && r.Sample != 0) {
			t.Errorf("%s on no facts: %+v", r.ID, r)
		}
	}
}

// TestAssessCountsLeftOutDeployments: a store lists only the deployments
// that may break a control (MayBreak); the samples come from the counts,
// and a deployment that MayBreak passes over breaks none of the three.
func TestAssessCountsLeftOutDeployments(t *testing.T) {
	clean := Deployment{ID: "DEP-9", Release: "REL-9", Env: "prod", Change: "CHG-9", ChangeStatus: "closed", Gate: "GATE-9",
		GateDecision: "allowed", Approvals: "pass", Deviations: []Deviation{}}
	if MayBreak(clean) {
		t.Fatal("a deployment allowed, approved and authorised may break a control")
	}
	for _, d := range []Deployment{
		{ID: "DEP-1"}, // no gate, no change
		{ID: "DEP-2", Change: "CHG-2", ChangeStatus: "closed", Gate: "GATE-2", GateDecision: "allowed", Approvals: "skip"},
		{ID: "DEP-3", Change: "CHG-3", ChangeStatus: "assess", Gate: "GATE-3", GateDecision: "allowed", Approvals: "pass"},
		{ID: "DEP-4", Change: "CHG-4", ChangeStatus: "closed", Gate: "GATE-4", GateDecision: "allowed", Approvals: "pass",
			Deviations: []Deviation{{Step: "cab", Reason: "outage", ApprovedBy: "paula"}}},
	} {
		if !MayBreak(d) {
			t.Errorf("%s may break no control", d.ID)
		}
	}
	listed := []Deployment{{ID: "DEP-2", Change: "CHG-2", ChangeStatus: "closed", Gate: "GATE-2", GateDecision: "allowed",
		Approvals: "skip"}}
	rs := Assess(Facts{DeploymentCount: 1000, GatedCount: 990, Deployments: listed})
	for _, r := range rs {
		switch r.ID {
		case GateAndChange:
			if r.Sample != 1000 || len(r.Exceptions) != 0 {
				t.Errorf("gate_and_change: %+v", r)
			}
		case ApprovalsByRisk:
			if r.Sample != 990 || len(r.Exceptions) != 1 || r.Exceptions[0].Record != "DEP-2" {
				t.Errorf("approvals_by_risk: %+v", r)
			}
		}
	}
}

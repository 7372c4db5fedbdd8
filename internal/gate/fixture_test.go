package gate_test

import (
	"strings"
	"testing"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func tp(s string) *time.Time { t := ts(s); return &t }

// sundayNight is inside the prod-eu window (Sunday 01:00–05:00 Berlin): 03:00 CET.
var sundayNight = ts("2026-03-22T02:00:00Z")

func cv(name, version, status string, deps ...string) gate.Component {
	c := gate.Component{CI: name, Version: version, Status: status, Dependencies: []ci.Dependency{}}
	for _, d := range deps {
		n, con, _ := strings.Cut(d, " ")
		c.Dependencies = append(c.Dependencies, ci.Dependency{CI: n, Constraint: con})
	}
	return c
}

// base returns an input that every rule of the default policy passes: a
// high-risk problem fix to production, approved by a CAB member, planned
// inside the maintenance window with a canary stage first.
func base() gate.Input {
	return gate.Input{
		Release: gate.Release{ID: "REL-7", Version: "1.4.3", Type: "problem-fix", Creator: "erin",
			Components: []string{"checkout-api@1.4.3"}, Resolves: []string{"PRB-3"}, Revision: 2},
		Problems: []gate.Problem{{ID: "PRB-3", Status: "fix_in_progress", Priority: 2, CIs: []string{"checkout-api"},
			Environments: []string{"prod-eu"},
			RCA:          gate.RCA{Category: "code_defect", Author: "dave", ValidatedBy: "paula", ValidatedRole: "problem_manager"}}},
		Components: []gate.Component{cv("checkout-api", "1.4.3", "approved", "payments-lib ^2.0.0")},
		Catalogue: map[string][]gate.Component{
			"payments-lib": {cv("payments-lib", "2.0.0", "approved"), cv("payments-lib", "2.0.5", "approved", "crypto-lib ~1.2"),
				cv("payments-lib", "3.0.0", "approved")},
			"crypto-lib": {cv("crypto-lib", "1.2.0", "approved"), cv("crypto-lib", "1.2.7", "approved"), cv("crypto-lib", "1.3.0", "revoked")},
		},
		OpenProblems: []gate.Problem{
			{ID: "PRB-9", Status: "rca", Priority: 3, CIs: []string{"checkout-api"}},
			{ID: "PRB-10", Status: "closed", Priority: 1, Environments: []string{"prod-eu"}},
		},
		CIs: []gate.CI{
			{Name: "checkout-api", Criticality: "high", DependsOn: []string{"payments-lib"}},
			{Name: "payments-lib", Criticality: "medium", DependsOn: []string{"crypto-lib"}},
			{Name: "crypto-lib", Criticality: "medium"},
			{Name: "web-shop", Criticality: "high", DependsOn: []string{"checkout-api"}},
			{Name: "storefront", Criticality: "medium", DependsOn: []string{"web-shop"}},
			{Name: "reporting", Criticality: "low", DependsOn: []string{"payments-lib"}},
		},
		Environment: environment.Environment{Name: "prod-eu", Tier: "production", Tags: []string{"regulated"},
			Windows: []environment.Window{{Name: "sunday-night", TimeZone: "Europe/Berlin", Days: []string{"sun"}, Start: "01:00", End: "05:00"}},
			Freezes: []environment.Freeze{{Name: "year-end", Start: ts("2026-12-20T00:00:00Z"), End: ts("2027-01-04T00:00:00Z"), Reason: "peak sales"}}},
		Live:      map[string]string{"checkout-api": "1.4.2", "payments-lib": "2.0.5"},
		Approvals: []gate.Approval{{ID: "APR-1", Record: "REL-7", Revision: 2, Approver: "carol", Role: "cab_member", Roles: []string{"cab_member"}, Decision: "approve"}},
		Revisions: map[string]int64{"REL-7": 2, "CHG-4": 1},
		Change:    &gate.Change{ID: "CHG-4", Type: "normal", Requester: "rita", Revision: 1, Deviations: []gate.Deviation{}},
		Path:      []gate.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}},
		At:        &sundayNight,
	}
}

func mustPolicy(t testing.TB, yaml string) *policy.Policy {
	t.Helper()
	if yaml == "" {
		return policy.Default()
	}
	p, err := policy.Parse([]byte(yaml))
	if err != nil {
		t.Fatalf("policy refused: %v", err)
	}
	return p
}

func approval(id, record string, rev int64, who, role, decision string, roles ...string) gate.Approval {
	if len(roles) == 0 {
		roles = []string{role}
	}
	return gate.Approval{ID: id, Record: record, Revision: rev, Approver: who, Role: role, Roles: roles, Decision: decision}
}

func reasonsOf(v gate.Verdict, rule string) string {
	var parts []string
	for _, r := range v.Rules {
		if r.Rule == rule {
			parts = append(parts, r.Result+": "+r.Reason)
		}
	}
	return strings.Join(parts, " | ")
}

func dump(v gate.Verdict) string {
	var b strings.Builder
	for _, r := range v.Rules {
		b.WriteString("\n  " + r.Rule + " " + r.Result + ": " + r.Reason)
	}
	return b.String()
}

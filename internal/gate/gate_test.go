package gate_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"fixgate/internal/environment"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

func TestBaseInputIsAllowed(t *testing.T) {
	pol := policy.Default()
	v := gate.Evaluate(pol, base(), sundayNight)
	if v.Decision != gate.Allowed {
		t.Fatalf("decision = %s, want allowed:%s", v.Decision, dump(v))
	}
	for _, r := range v.Rules {
		if r.Result != gate.Pass {
			t.Errorf("rule %s = %s (%s), want pass", r.Rule, r.Result, r.Reason)
		}
		if r.Reason == "" || strings.Contains(r.Reason, "\n") || r.Records == nil {
			t.Errorf("rule %s: reason %q must be one non-empty line, records non-nil", r.Rule, r.Reason)
		}
	}
	want := []string{"rca_validated", "problem_state", "open_problems", "component_approval", "segregation", "semver",
		"separation_of_duties", "approvals", "maintenance_window", "canary", "progression", "target_health", "documentation", "checklist"}
	var got []string
	for _, r := range v.Rules {
		got = append(got, r.Rule)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rules = %v, want %v", got, want)
	}
	if v.RiskClass != policy.High || v.PolicyHash != pol.Hash() || !v.EvaluatedAt.Equal(sundayNight) || !v.At.Equal(sundayNight) {
		t.Errorf("verdict header = %+v", v)
	}
}

// ruleCase changes the base input (and maybe the policy) and states what one rule must say.
type ruleCase struct {
	name     string
	policy   string // YAML; "" = built-in
	mutate   func(in *gate.Input)
	rule     string
	result   string // worst result of rule
	decision string
	reason   string // substring of the rule's reasons
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			if tc.mutate != nil {
				tc.mutate(&in)
			}
			v := gate.Evaluate(mustPolicy(t, tc.policy), in, sundayNight)
			if got := v.RuleResult(tc.rule); got != tc.result {
				t.Errorf("%s = %q, want %q:%s", tc.rule, got, tc.result, dump(v))
			}
			if v.Decision != tc.decision {
				t.Errorf("decision = %s, want %s:%s", v.Decision, tc.decision, dump(v))
			}
			if rs := reasonsOf(v, tc.rule); !strings.Contains(rs, tc.reason) {
				t.Errorf("%s reasons %q do not contain %q", tc.rule, rs, tc.reason)
			}
		})
	}
}

func TestRule1RCAValidated(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "validated by a problem manager", rule: "rca_validated", result: "pass", decision: "allowed", reason: "validated by a problem_manager"},
		{name: "not validated", mutate: func(in *gate.Input) { in.Problems[0].RCA.ValidatedBy, in.Problems[0].RCA.ValidatedRole = "", "" },
			rule: "rca_validated", result: "fail", decision: "blocked", reason: "the root cause of PRB-3 (code_defect) is not validated yet"},
		{name: "validated by an engineer", mutate: func(in *gate.Input) { in.Problems[0].RCA.ValidatedRole = "engineer" },
			rule: "rca_validated", result: "fail", decision: "blocked", reason: "validated by paula acting as engineer, not as problem_manager"},
		{name: "no RCA", mutate: func(in *gate.Input) { in.Problems[0].RCA = gate.RCA{} },
			rule: "rca_validated", result: "fail", decision: "blocked", reason: "PRB-3 has no root cause analysis recorded"},
		{name: "category outside the taxonomy warns", mutate: func(in *gate.Input) { in.Problems[0].RCA.Category = "cosmic_rays" },
			rule: "rca_validated", result: "warn", decision: "allowed", reason: `"cosmic_rays" of PRB-3 is not in the policy's taxonomy`},
		{name: "severity warn does not block", policy: "gate: {rules: {rca_validated: {severity: warn}}}",
			mutate: func(in *gate.Input) { in.Problems[0].RCA.ValidatedBy = "" },
			rule:   "rca_validated", result: "warn", decision: "allowed", reason: "not validated yet"},
		{name: "disabled", policy: "gate: {rules: {rca_validated: {enabled: false}}}",
			mutate: func(in *gate.Input) { in.Problems[0].RCA = gate.RCA{} },
			rule:   "rca_validated", result: "skip", decision: "allowed", reason: "disabled by the policy"},
		{name: "feature release resolves nothing", mutate: func(in *gate.Input) {
			in.Release.Type, in.Release.Resolves, in.Problems = "feature", nil, nil
		}, rule: "rca_validated", result: "pass", decision: "allowed", reason: "resolves no problem"},
	})
}

func TestRule2ProblemState(t *testing.T) {
	status := func(s string) func(in *gate.Input) { return func(in *gate.Input) { in.Problems[0].Status = s } }
	runRuleCases(t, []ruleCase{
		{name: "fix in progress", rule: "problem_state", result: "pass", decision: "allowed", reason: "is fix_in_progress"},
		{name: "new", mutate: status("new"), rule: "problem_state", result: "fail", decision: "blocked", reason: "PRB-3 is new"},
		{name: "resolved", mutate: status("resolved"), rule: "problem_state", result: "fail", decision: "blocked", reason: "PRB-3 is resolved"},
		{name: "closed", mutate: status("closed"), rule: "problem_state", result: "fail", decision: "blocked", reason: "PRB-3 is closed"},
		{name: "canceled", mutate: status("canceled"), rule: "problem_state", result: "fail", decision: "blocked", reason: "PRB-3 is canceled"},
		{name: "policy allows resolved", policy: "gate: {rules: {problem_state: {allowed_statuses: [fix_in_progress, resolved]}}}",
			mutate: status("resolved"), rule: "problem_state", result: "pass", decision: "allowed", reason: "fix_in_progress or resolved"},
		{name: "problem-fix resolving nothing", mutate: func(in *gate.Input) { in.Release.Resolves, in.Problems = nil, nil },
			rule: "problem_state", result: "fail", decision: "blocked", reason: "REL-7 is a problem-fix release but resolves no problem"},
		{name: "resolved problem missing from the input", mutate: func(in *gate.Input) { in.Release.Resolves = append(in.Release.Resolves, "PRB-4") },
			rule: "input", result: "fail", decision: "undecided", reason: "resolves PRB-4 but the input does not describe it"},
	})
}

func TestRule3OpenProblems(t *testing.T) {
	open := func(p gate.Problem) func(in *gate.Input) {
		return func(in *gate.Input) { in.OpenProblems = append(in.OpenProblems, p) }
	}
	runRuleCases(t, []ruleCase{
		{name: "only low-priority problems open", rule: "open_problems", result: "pass", decision: "allowed", reason: "no open problem of priority 1–2 on prod-eu"},
		{name: "priority 1 on the environment", mutate: open(gate.Problem{ID: "PRB-20", Status: "assess", Priority: 1, Environments: []string{"prod-eu"}}),
			rule: "open_problems", result: "fail", decision: "blocked", reason: "PRB-20 (priority 1, assess) is open on environment prod-eu"},
		{name: "boundary priority 2 on a shipped CI", mutate: open(gate.Problem{ID: "PRB-21", Status: "new", Priority: 2, CIs: []string{"checkout-api"}}),
			rule: "open_problems", result: "fail", decision: "blocked", reason: "PRB-21 (priority 2, new) is open on checkout-api, which this release ships"},
		{name: "on a CI depending on the release", mutate: open(gate.Problem{ID: "PRB-22", Status: "rca", Priority: 1, CIs: []string{"web-shop"}}),
			rule: "open_problems", result: "fail", decision: "blocked", reason: "open on web-shop, which depends on checkout-api"},
		{name: "on a CI depending on it transitively", mutate: open(gate.Problem{ID: "PRB-23", Status: "rca", Priority: 1, CIs: []string{"storefront"}}),
			rule: "open_problems", result: "fail", decision: "blocked", reason: "open on storefront, which depends on checkout-api"},
		{name: "on a dependency, not a dependent", mutate: open(gate.Problem{ID: "PRB-24", Status: "rca", Priority: 1, CIs: []string{"payments-lib"}}),
			rule: "open_problems", result: "pass", decision: "allowed", reason: "no open problem"},
		{name: "priority 3 is below the threshold", mutate: open(gate.Problem{ID: "PRB-25", Status: "new", Priority: 3, Environments: []string{"prod-eu"}}),
			rule: "open_problems", result: "pass", decision: "allowed", reason: "no open problem"},
		{name: "resolved problems are not open", mutate: open(gate.Problem{ID: "PRB-26", Status: "resolved", Priority: 1, Environments: []string{"prod-eu"}}),
			rule: "open_problems", result: "pass", decision: "allowed", reason: "no open problem"},
		{name: "the problem being fixed is exempt", mutate: open(gate.Problem{ID: "PRB-3", Status: "fix_in_progress", Priority: 1, CIs: []string{"checkout-api"}}),
			rule: "open_problems", result: "pass", decision: "allowed", reason: "no open problem"},
		{name: "threshold 3 catches priority 3", policy: "gate: {rules: {open_problems: {min_priority: 3}}}",
			rule: "open_problems", result: "fail", decision: "blocked", reason: "PRB-9 (priority 3, rca) is open on checkout-api"},
		{name: "dependency graph with a cycle", mutate: func(in *gate.Input) {
			in.CIs = append(in.CIs, gate.CI{Name: "loop-a", DependsOn: []string{"loop-b", "checkout-api"}}, gate.CI{Name: "loop-b", DependsOn: []string{"loop-a"}})
			in.OpenProblems = append(in.OpenProblems, gate.Problem{ID: "PRB-27", Status: "rca", Priority: 1, CIs: []string{"loop-b"}})
		}, rule: "open_problems", result: "fail", decision: "blocked", reason: "open on loop-b, which depends on checkout-api"},
	})
}

func TestRule4ComponentApproval(t *testing.T) {
	setCat := func(ciName, version, status string, deps ...string) func(in *gate.Input) {
		return func(in *gate.Input) {
			list := in.Catalogue[ciName]
			for i, c := range list {
				if c.Version == version {
					list[i] = cv(ciName, version, status, deps...)
				}
			}
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "all approved", rule: "component_approval", result: "pass", decision: "allowed",
			reason: "all 1 component versions and their 2 transitive dependencies are approved"},
		{name: "revoked transitive dependency names the path", mutate: setCat("crypto-lib", "1.2.7", "revoked"),
			rule: "component_approval", result: "fail", decision: "blocked", reason: "checkout-api@1.4.3 → payments-lib@2.0.5 → crypto-lib@1.2.7 (revoked)"},
		{name: "highest satisfying version is chosen", mutate: setCat("payments-lib", "2.0.0", "revoked"),
			rule: "component_approval", result: "pass", decision: "allowed", reason: "are approved"},
		{name: "candidate component", mutate: func(in *gate.Input) { in.Components[0].Status = "candidate" },
			rule: "component_approval", result: "fail", decision: "blocked", reason: "checkout-api@1.4.3 (candidate)"},
		{name: "policy allows candidates", policy: "gate: {rules: {component_approval: {allowed_statuses: [approved, candidate]}}}",
			mutate: func(in *gate.Input) { in.Components[0].Status = "candidate" },
			rule:   "component_approval", result: "pass", decision: "allowed", reason: "approved or candidate"},
		{name: "dependency cycle is reported", mutate: setCat("crypto-lib", "1.2.7", "approved", "checkout-api ^1.4.0"),
			rule: "component_approval", result: "fail", decision: "blocked",
			reason: "dependency cycle: checkout-api@1.4.3 → payments-lib@2.0.5 → crypto-lib@1.2.7 → checkout-api@1.4.3"},
		{name: "self cycle in the catalogue", mutate: setCat("crypto-lib", "1.2.7", "approved", "crypto-lib ~1.2"),
			rule: "component_approval", result: "fail", decision: "blocked", reason: "dependency cycle: crypto-lib@1.2.7 → crypto-lib@1.2.7"},
		{name: "no version satisfies", mutate: func(in *gate.Input) { in.Components[0].Dependencies[0].Constraint = "^4.0.0" },
			rule: "component_approval", result: "fail", decision: "blocked", reason: "checkout-api@1.4.3 → payments-lib ^4.0.0: no known version of payments-lib satisfies"},
		{name: "the release's own version must satisfy", mutate: func(in *gate.Input) {
			in.Release.Type = "feature"
			in.Release.Components = append(in.Release.Components, "payments-lib@3.0.0")
			in.Components = append(in.Components, cv("payments-lib", "3.0.0", "approved"))
		}, rule: "component_approval", result: "fail", decision: "blocked", reason: "the release ships payments-lib@3.0.0, which does not satisfy it"},
		{name: "component missing from the input", mutate: func(in *gate.Input) { in.Release.Components = append(in.Release.Components, "ghost@1.0.0") },
			rule: "input", result: "fail", decision: "undecided", reason: "ships ghost@1.0.0 but the input does not describe it"},
	})
}

func TestRule5Segregation(t *testing.T) {
	addBilling := func(in *gate.Input) {
		in.Release.Components = append(in.Release.Components, "billing-ui@2.0.1")
		in.Components = append(in.Components, cv("billing-ui", "2.0.1", "approved"))
		in.Live["billing-ui"] = "2.0.0"
	}
	runRuleCases(t, []ruleCase{
		{name: "only affected CIs", rule: "segregation", result: "pass", decision: "allowed", reason: "belongs to a CI its problems affect"},
		{name: "unrelated component in a problem fix", mutate: addBilling, rule: "segregation", result: "fail", decision: "blocked",
			reason: "ships billing-ui@2.0.1, which none of its problems affects"},
		{name: "mixed without the extra approval", mutate: func(in *gate.Input) { addBilling(in); in.Release.Type = "mixed" },
			rule: "segregation", result: "fail", decision: "blocked", reason: "needs an approval by a release_manager"},
		{name: "mixed with the extra approval", mutate: func(in *gate.Input) {
			addBilling(in)
			in.Release.Type = "mixed"
			in.Approvals = append(in.Approvals, approval("APR-2", "REL-7", 2, "rob", "release_manager", "approve"))
		}, rule: "segregation", result: "pass", decision: "allowed", reason: "extra approval of rob as release_manager"},
		{name: "feature release", mutate: func(in *gate.Input) { addBilling(in); in.Release.Type = "feature" },
			rule: "segregation", result: "pass", decision: "allowed", reason: "is a feature release"},
	})
}

func TestRule6Semver(t *testing.T) {
	live := func(v string) func(in *gate.Input) { return func(in *gate.Input) { in.Live["checkout-api"] = v } }
	runRuleCases(t, []ruleCase{
		{name: "patch bump", rule: "semver", result: "pass", decision: "allowed", reason: "a patch bump over the version live in prod-eu"},
		{name: "minor bump", mutate: live("1.3.9"), rule: "semver", result: "fail", decision: "blocked", reason: "checkout-api@1.3.9 → 1.4.3: a minor bump"},
		{name: "major bump", mutate: live("0.4.2"), rule: "semver", result: "fail", decision: "blocked", reason: "a major bump"},
		{name: "already live", mutate: live("1.4.3"), rule: "semver", result: "fail", decision: "blocked", reason: "already live"},
		{name: "downgrade", mutate: live("1.4.5"), rule: "semver", result: "fail", decision: "blocked", reason: "a downgrade"},
		{name: "prerelease promoted", mutate: live("1.4.3-rc.1"), rule: "semver", result: "pass", decision: "allowed", reason: "patch bump"},
		{name: "not live yet warns", mutate: func(in *gate.Input) { delete(in.Live, "checkout-api") },
			rule: "semver", result: "warn", decision: "allowed", reason: "checkout-api is not live in prod-eu"},
		{name: "upgrade enough when patch bump not required", policy: "gate: {rules: {semver: {require_patch_bump: false}}}",
			mutate: live("1.3.9"), rule: "semver", result: "pass", decision: "allowed", reason: "an upgrade"},
		{name: "garbage live version", mutate: live("latest"), rule: "semver", result: "fail", decision: "undecided", reason: "not semantic versions"},
		{name: "feature release exempt", mutate: func(in *gate.Input) { in.Release.Type = "feature"; in.Live["checkout-api"] = "1.3.9" },
			rule: "semver", result: "pass", decision: "allowed", reason: "applies to problem-fix releases"},
	})
}

func TestRule7SeparationOfDuties(t *testing.T) {
	add := func(as ...gate.Approval) func(in *gate.Input) {
		return func(in *gate.Input) { in.Approvals = append(in.Approvals, as...) }
	}
	sodDeviation := func(in *gate.Input) {
		in.Change.Deviations = append(in.Change.Deviations, gate.Deviation{ID: "DEV-1", Rule: "separation_of_duties",
			Reason: "only one CAB member on call", ApprovedBy: "victor"})
	}
	runRuleCases(t, []ruleCase{
		{name: "independent approver", rule: "separation_of_duties", result: "pass", decision: "allowed", reason: "no approver created the release"},
		{name: "release creator approves", mutate: add(approval("APR-5", "REL-7", 2, "erin", "cab_member", "approve")),
			rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "erin approved REL-7 but created the release"},
		{name: "change requester approves the change", mutate: add(approval("APR-5", "CHG-4", 1, "rita", "cab_member", "approve")),
			rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "rita approved CHG-4 but requested the change"},
		{name: "RCA author approves", mutate: add(approval("APR-5", "REL-7", 2, "dave", "cab_member", "approve")),
			rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "authored the RCA of PRB-3"},
		{name: "resolver approves", mutate: func(in *gate.Input) {
			in.Problems[0].ResolvedBy = "sam"
			in.Approvals = append(in.Approvals, approval("APR-5", "REL-7", 2, "sam", "cab_member", "approve"))
		}, rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "sam approved REL-7 but resolved PRB-3"},
		{name: "listed release-team member approves", mutate: func(in *gate.Input) {
			in.Authors = []gate.Author{{User: "carol", As: "is on the release team"}}
		}, rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "carol approved REL-7 but is on the release team"},
		{name: "RCA validated by its author", mutate: func(in *gate.Input) { in.Problems[0].RCA.ValidatedBy = "dave" },
			rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "dave validated the root cause of PRB-3 that they wrote"},
		{name: "engineer and cab member creator: one person, no bypass",
			mutate: func(in *gate.Input) {
				in.Approvals = []gate.Approval{approval("APR-5", "REL-7", 2, "erin", "cab_member", "approve", "engineer", "cab_member")}
			}, rule: "approvals", result: "fail", decision: "blocked", reason: "1 approval(s) by authors of the fix do not count"},
		{name: "deviation turns the conflict into a warning", mutate: func(in *gate.Input) {
			sodDeviation(in)
			in.Approvals = []gate.Approval{approval("APR-5", "REL-7", 2, "erin", "cab_member", "approve")}
		}, rule: "separation_of_duties", result: "warn", decision: "allowed", reason: "allowed by a deviation approved by victor: only one CAB member on call"},
		{name: "unapproved deviation does not count", mutate: func(in *gate.Input) {
			sodDeviation(in)
			in.Change.Deviations[0].ApprovedBy = ""
			in.Approvals = append(in.Approvals, approval("APR-5", "REL-7", 2, "erin", "cab_member", "approve"))
		}, rule: "separation_of_duties", result: "fail", decision: "blocked", reason: "that approval does not count"},
		{name: "an author's stale approval is not a conflict", mutate: add(approval("APR-5", "REL-7", 1, "erin", "cab_member", "approve")),
			rule: "separation_of_duties", result: "pass", decision: "allowed", reason: "no approver"},
	})
}

func TestRule8Approvals(t *testing.T) {
	set := func(as ...gate.Approval) func(in *gate.Input) { return func(in *gate.Input) { in.Approvals = as } }
	critical := func(in *gate.Input) { in.Problems[0].Priority = 1 }
	runRuleCases(t, []ruleCase{
		{name: "cab member approved current revision", rule: "approvals", result: "pass", decision: "allowed",
			reason: "risk class high (risk.rules[3]): approved by carol as cab_member"},
		{name: "no approval", mutate: set(), rule: "approvals", result: "fail", decision: "blocked",
			reason: "needs 1 more cab_member approval(s) from distinct people on the current revision; 0 eligible approver(s)"},
		{name: "approval on a stale revision", mutate: set(approval("APR-1", "REL-7", 1, "carol", "cab_member", "approve")),
			rule: "approvals", result: "fail", decision: "blocked", reason: "1 approval(s) of content edited since do not count"},
		{name: "approval on the change counts", mutate: set(approval("APR-1", "CHG-4", 1, "carol", "cab_member", "approve")),
			rule: "approvals", result: "pass", decision: "allowed", reason: "carol as cab_member"},
		{name: "approval on another record does not count", mutate: set(approval("APR-1", "REL-8", 2, "carol", "cab_member", "approve")),
			rule: "approvals", result: "fail", decision: "blocked", reason: "needs 1 more cab_member"},
		{name: "rejection on the current revision", mutate: set(approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve"),
			approval("APR-2", "REL-7", 2, "cid", "cab_member", "reject")),
			rule: "approvals", result: "fail", decision: "blocked", reason: "cid rejected REL-7 at its current revision 2"},
		{name: "rejection of an older revision no longer blocks", mutate: set(approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve"),
			approval("APR-2", "REL-7", 1, "cid", "cab_member", "reject")),
			rule: "approvals", result: "pass", decision: "allowed", reason: "approved by carol"},
		{name: "critical: one person holding both roles counts once", mutate: func(in *gate.Input) {
			critical(in)
			in.Approvals = []gate.Approval{approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve", "cab_member", "problem_manager")}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "risk class critical (risk.rules[0]) needs 1 more"},
		{name: "critical: same person approving twice in two roles counts once", mutate: func(in *gate.Input) {
			critical(in)
			in.Approvals = []gate.Approval{approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve"),
				approval("APR-2", "CHG-4", 1, "carol", "problem_manager", "approve")}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "from distinct people"},
		{name: "critical: two people, matched across roles", mutate: func(in *gate.Input) {
			critical(in)
			in.Approvals = []gate.Approval{approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve", "cab_member", "problem_manager"),
				approval("APR-2", "REL-7", 2, "cid", "cab_member", "approve")}
		}, rule: "approvals", result: "pass", decision: "allowed", reason: "critical"},
		{name: "engineer who is also a cab member counts as cab member", mutate: set(approval("APR-1", "REL-7", 2, "eve", "engineer", "approve", "engineer", "cab_member")),
			rule: "approvals", result: "pass", decision: "allowed", reason: "eve as cab_member"},
		{name: "auditor is no peer", policy: "approvals: {high: [{role: peer}]}", mutate: set(approval("APR-1", "REL-7", 2, "aud", "auditor", "approve")),
			rule: "approvals", result: "fail", decision: "blocked", reason: "needs 1 more peer"},
		{name: "override without justification", mutate: func(in *gate.Input) {
			in.Change.RiskOverride = &gate.RiskOverride{Class: "low", By: "rob"}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "CHG-4 overrides the risk class to low without a justification"},
		{name: "override with justification", mutate: func(in *gate.Input) {
			in.Change.RiskOverride = &gate.RiskOverride{Class: "low", Justification: "config flag only", By: "rob"}
		}, rule: "approvals", result: "pass", decision: "allowed", reason: "risk class low (override by rob)"},
		{name: "emergency without sign-off and deviation", mutate: func(in *gate.Input) { in.Change.Type = "emergency" },
			rule: "approvals", result: "fail", decision: "blocked", reason: "carries no approved deviation record"},
		{name: "emergency with deviation but no problem manager", mutate: func(in *gate.Input) {
			in.Change.Type = "emergency"
			in.Change.Deviations = []gate.Deviation{{Rule: "approvals", Step: "CAB review", Reason: "outage", ApprovedBy: "paula"}}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "needs 1 more problem_manager"},
		{name: "emergency with deviation and sign-off", mutate: func(in *gate.Input) {
			in.Change.Type = "emergency"
			in.Change.Deviations = []gate.Deviation{{Rule: "approvals", Step: "CAB review", Reason: "outage", ApprovedBy: "paula"}}
			in.Approvals = append(in.Approvals, approval("APR-3", "CHG-4", 1, "paula", "problem_manager", "approve"))
		}, rule: "approvals", result: "pass", decision: "allowed", reason: "paula as problem_manager"},
		{name: "approval of the same content at an older revision counts", mutate: func(in *gate.Input) {
			in.Release.Content = "c1"
			a := approval("APR-1", "REL-7", 1, "carol", "cab_member", "approve")
			a.Content = "c1"
			in.Approvals = []gate.Approval{a}
		}, rule: "approvals", result: "pass", decision: "allowed", reason: "approved by carol"},
		{name: "approval of other content at the current revision does not count", mutate: func(in *gate.Input) {
			in.Release.Content = "c2"
			a := approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve")
			a.Content = "c1"
			in.Approvals = []gate.Approval{a}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "1 approval(s) of content edited since do not count"},
		{name: "emergency with a deviation whose period has ended", mutate: func(in *gate.Input) {
			in.Change.Type = "emergency"
			in.At = tp("2026-03-24T12:00:00Z")
			in.Change.Deviations = []gate.Deviation{{Rule: "approvals", Step: "CAB review", Reason: "outage", ApprovedBy: "paula",
				From: tp("2026-03-23T00:00:00Z"), To: tp("2026-03-24T00:00:00Z")}}
			in.Approvals = append(in.Approvals, approval("APR-3", "CHG-4", 1, "paula", "problem_manager", "approve"))
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "no approved deviation record covering the deployment time"},
		{name: "mixed release extra approval by a distinct person", mutate: func(in *gate.Input) {
			in.Release.Type = "mixed"
			in.Approvals = []gate.Approval{approval("APR-1", "REL-7", 2, "carol", "cab_member", "approve", "cab_member", "release_manager")}
		}, rule: "approvals", result: "fail", decision: "blocked", reason: "1 more release_manager"},
		{name: "risk rule that errors is undecided", policy: "risk: {rules: [{when: '1 / (release_size - 1) > 0', class: high}]}",
			rule: "approvals", result: "fail", decision: "undecided", reason: "cannot compute the risk class"},
	})
}

func TestRule9MaintenanceWindow(t *testing.T) {
	at := func(s string) func(in *gate.Input) { return func(in *gate.Input) { in.At = tp(s) } }
	deviation := func(s string) func(in *gate.Input) {
		return func(in *gate.Input) {
			in.At = tp(s)
			in.Change.Deviations = []gate.Deviation{{ID: "DEV-2", Rule: "maintenance_window", Reason: "customer-facing outage",
				ApprovedBy: "victor", From: tp("2026-03-24T00:00:00Z"), To: tp("2026-03-25T00:00:00Z")}}
		}
	}
	dstWindow := func(s string) func(in *gate.Input) {
		return func(in *gate.Input) {
			in.At = tp(s)
			in.Environment.Windows = []environment.Window{{Name: "dst", TimeZone: "Europe/Berlin", Days: []string{"sun"}, Start: "01:00", End: "04:00"}}
		}
	}
	runRuleCases(t, []ruleCase{
		{name: "inside the window", rule: "maintenance_window", result: "pass", decision: "allowed", reason: "falls in maintenance window sunday-night"},
		{name: "Tuesday noon", mutate: at("2026-03-24T11:00:00Z"), rule: "maintenance_window", result: "fail", decision: "blocked",
			reason: "2026-03-24 11:00 UTC is outside every maintenance window of prod-eu: sunday-night (sun 01:00–05:00 Europe/Berlin; it is tue 12:00 CET there)"},
		{name: "deviation covers it", mutate: deviation("2026-03-24T11:00:00Z"), rule: "maintenance_window", result: "warn", decision: "allowed",
			reason: "allowed by a deviation approved by victor: customer-facing outage"},
		{name: "deviation for another day", mutate: deviation("2026-03-26T11:00:00Z"), rule: "maintenance_window", result: "fail", decision: "blocked", reason: "outside every"},
		{name: "freeze", mutate: at("2026-12-27T02:00:00Z"), rule: "maintenance_window", result: "fail", decision: "blocked",
			reason: `falls in freeze "year-end" of prod-eu (peak sales until 2027-01-04 00:00 UTC)`},
		{name: "freeze on staging too", mutate: func(in *gate.Input) { in.Environment.Tier = "staging"; in.At = tp("2026-12-22T11:00:00Z") },
			rule: "maintenance_window", result: "fail", decision: "blocked", reason: "freeze"},
		{name: "staging needs no window", mutate: func(in *gate.Input) { in.Environment.Tier = "staging"; in.At = tp("2026-03-24T11:00:00Z") },
			rule: "maintenance_window", result: "pass", decision: "allowed", reason: "the staging tier needs no maintenance window"},
		{name: "no windows defined", mutate: func(in *gate.Input) { in.Environment.Windows = nil; in.At = tp("2026-03-24T11:00:00Z") },
			rule: "maintenance_window", result: "pass", decision: "allowed", reason: "defines no maintenance window"},
		{name: "DST day: 03:59 CEST is inside", mutate: dstWindow("2026-03-29T01:59:00Z"), rule: "maintenance_window", result: "pass", decision: "allowed", reason: "falls in"},
		{name: "DST day: 04:00 CEST (02:00 UTC) is outside", mutate: dstWindow("2026-03-29T02:00:00Z"), rule: "maintenance_window", result: "fail", decision: "blocked",
			reason: "it is sun 04:00 CEST there"},
		{name: "DST day: 01:00 CET start is inside", mutate: dstWindow("2026-03-29T00:00:00Z"), rule: "maintenance_window", result: "pass", decision: "allowed", reason: "falls in"},
		{name: "invalid window zone", mutate: func(in *gate.Input) { in.Environment.Windows[0].TimeZone = "Mars/Olympus" },
			rule: "input", result: "fail", decision: "undecided", reason: "maintenance window \"sunday-night\" of prod-eu is invalid"},
	})
}

func TestRule10Canary(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "canary first", rule: "canary", result: "pass", decision: "allowed", reason: `starts with canary stage "canary" at 10%`},
		{name: "no canary", mutate: func(in *gate.Input) { in.Path = in.Path[1:] }, rule: "canary", result: "fail", decision: "blocked",
			reason: `a high-risk fix to prod-eu must start with a canary stage; the path starts with "full"`},
		{name: "no path", mutate: func(in *gate.Input) { in.Path = nil }, rule: "canary", result: "fail", decision: "blocked", reason: "no deployment path is planned"},
		{name: "tagged first stage", mutate: func(in *gate.Input) { in.Path[0] = gate.Stage{Name: "eu-west-1a", Weight: 5, Tags: []string{"canary"}} },
			rule: "canary", result: "pass", decision: "allowed", reason: `stage "eu-west-1a" at 5%`},
		{name: "canary taking all traffic", mutate: func(in *gate.Input) { in.Path = []gate.Stage{{Name: "canary", Weight: 100}} },
			rule: "canary", result: "fail", decision: "blocked", reason: "takes 100% of the traffic"},
		{name: "medium risk needs no canary", mutate: func(in *gate.Input) {
			in.Problems[0].Priority = 4
			in.CIs[0].Criticality = "medium"
			in.Path = in.Path[1:]
			in.Approvals = append(in.Approvals, approval("APR-9", "REL-7", 2, "cid", "engineer", "approve"))
		}, rule: "canary", result: "pass", decision: "allowed", reason: "risk class medium is below high"},
		{name: "staging needs no canary", mutate: func(in *gate.Input) { in.Environment.Tier = "staging"; in.Path = in.Path[1:] },
			rule: "canary", result: "pass", decision: "allowed", reason: "does not apply to the staging tier"},
	})
}

func TestRule11Custom(t *testing.T) {
	custom := func(expr string, severity string) string {
		return "gate:\n  custom:\n    - name: r\n      expr: \"" + expr + "\"\n      message: custom says no\n      severity: " + severity + "\n"
	}
	runRuleCases(t, []ruleCase{
		{name: "holds", policy: custom("size(release.components) <= 5 && environment.tier == 'production'", "fail"),
			rule: "custom:r", result: "pass", decision: "allowed", reason: "holds"},
		{name: "does not hold", policy: custom("release.type == 'feature'", "fail"), rule: "custom:r", result: "fail", decision: "blocked", reason: "custom says no"},
		{name: "does not hold, warn", policy: custom("release.type == 'feature'", "warn"), rule: "custom:r", result: "warn", decision: "allowed", reason: "custom says no"},
		{name: "division by zero is undecided", policy: custom("10 / (size(release.components) - 1) > 2", "warn"),
			rule: "custom:r", result: "fail", decision: "undecided", reason: "division by zero"},
		{name: "missing key is undecided", policy: custom("change.risk_override.class == 'low'", "fail"),
			rule: "custom:r", result: "fail", decision: "undecided", reason: "could not be evaluated"},
		{name: "timestamps in the window's zone", policy: custom("at.getDayOfWeek('Europe/Berlin') == 0 && at.getHours('Europe/Berlin') == 3", "fail"),
			rule: "custom:r", result: "pass", decision: "allowed", reason: "holds"},
		{name: "risk class and integers", policy: custom("risk_class == 'high' && problems[0].priority == 2 && revisions['REL-7'] == 2", "fail"),
			rule: "custom:r", result: "pass", decision: "allowed", reason: "holds"},
		{name: "authors are derived", policy: custom("authors.exists(a, a.user == 'erin') && !approvals.exists(a, authors.exists(b, b.user == a.approver))", "fail"),
			rule: "custom:r", result: "pass", decision: "allowed", reason: "holds"},
		{name: "no change record", policy: custom("!has(change.id)", "fail"), mutate: func(in *gate.Input) { in.Change = nil },
			rule: "custom:r", result: "pass", decision: "allowed", reason: "holds"},
		{name: "cost limit is undecided", policy: "gate:\n  cost_limit: 20\n  custom:\n    - name: r\n      expr: \"cis.all(a, cis.all(b, a.name != '' && b.name != ''))\"\n",
			rule: "custom:r", result: "fail", decision: "undecided", reason: "cost limit"},
	})
}

func TestActivationHasEveryVariable(t *testing.T) {
	in := base()
	in.Change = nil
	vars := gate.Activation(&in, policy.Default(), sundayNight)
	var keys []string
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := slices.Clone(policy.InputVariables)
	sort.Strings(want)
	if !slices.Equal(keys, want) {
		t.Errorf("activation keys %v, want policy.InputVariables %v", keys, want)
	}
}

func TestEvaluateDoesNotChangeItsInput(t *testing.T) {
	in := base()
	before, _ := json.Marshal(in)
	gate.Evaluate(mustPolicy(t, "gate: {custom: [{name: x, expr: 'true'}]}"), in, sundayNight)
	after, _ := json.Marshal(in)
	if string(before) != string(after) {
		t.Errorf("Evaluate changed its input:\n%s\n%s", before, after)
	}
}

func TestUndecidedWinsOverBlocked(t *testing.T) {
	in := base()
	in.Problems[0].Status = "closed"
	pol := mustPolicy(t, "gate: {custom: [{name: zero, expr: '1 / 0 == 1'}]}")
	if v := gate.Evaluate(pol, in, sundayNight); v.Decision != gate.Undecided {
		t.Errorf("decision = %s, want undecided:%s", v.Decision, dump(v))
	}
}

// TestEvaluateConcurrently: one policy serves many evaluations at once (run with -race).
func TestEvaluateConcurrently(t *testing.T) {
	pol := mustPolicy(t, benchPolicy)
	done := make(chan string)
	for range 8 {
		go func() {
			in := base()
			done <- gate.Evaluate(pol, in, sundayNight).Decision
		}()
	}
	for range 8 {
		if d := <-done; d != gate.Allowed {
			t.Errorf("decision = %s", d)
		}
	}
}

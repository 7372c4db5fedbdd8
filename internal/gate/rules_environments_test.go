package gate_test

import (
	"testing"

	"fixgate/internal/gate"
)

const progressionPolicy = "progression: [staging, prod-eu, prod-us]"

func deployed(ds ...gate.Deployment) func(in *gate.Input) {
	return func(in *gate.Input) { in.Deployments = append(in.Deployments, ds...) }
}

func TestRuleProgression(t *testing.T) {
	done := gate.Deployment{ID: "DEP-2", Environment: "staging", Status: "succeeded", FinishedAt: tp("2026-03-20T10:00:00Z")}
	later := done
	later.FinishedAt = tp("2026-03-23T10:00:00Z") // after the planned time (sundayNight)
	toUS := func(in *gate.Input) { in.Environment.Name = "prod-us" }
	runRuleCases(t, []ruleCase{
		{name: "no progression in the policy", rule: "progression", result: "pass", decision: "allowed",
			reason: "no environment precedes prod-eu"},
		{name: "first in progression", policy: progressionPolicy, mutate: func(in *gate.Input) { in.Environment.Name = "staging" },
			rule: "progression", result: "pass", decision: "allowed", reason: "no environment precedes staging"},
		{name: "not in progression", policy: progressionPolicy, mutate: func(in *gate.Input) { in.Environment.Name = "dev" },
			rule: "progression", result: "pass", decision: "allowed", reason: "no environment precedes dev"},
		{name: "never deployed before", policy: progressionPolicy, rule: "progression", result: "fail", decision: "blocked",
			reason: "REL-7 has not succeeded in staging (required before prod-eu); it was never deployed there"},
		{name: "succeeded in staging", policy: progressionPolicy, mutate: deployed(done),
			rule: "progression", result: "pass", decision: "allowed", reason: "REL-7 succeeded in staging (DEP-2), required before prod-eu"},
		{name: "verified counts", policy: progressionPolicy, mutate: deployed(gate.Deployment{ID: "DEP-2", Environment: "staging", Status: "verified"}),
			rule: "progression", result: "pass", decision: "allowed", reason: "succeeded in staging (DEP-2)"},
		{name: "rolled back after success does not count", policy: progressionPolicy,
			mutate: deployed(gate.Deployment{ID: "DEP-2", Environment: "staging", Status: "rolled_back", FinishedAt: tp("2026-03-20T10:00:00Z")}),
			rule:   "progression", result: "fail", decision: "blocked", reason: "its last deployment there, DEP-2, is rolled_back"},
		{name: "succeeded after the planned time does not count", policy: progressionPolicy, mutate: deployed(later),
			rule: "progression", result: "fail", decision: "blocked", reason: "DEP-2, is succeeded"},
		{name: "a success elsewhere does not count", policy: progressionPolicy,
			mutate: deployed(gate.Deployment{ID: "DEP-5", Environment: "prod-us", Status: "succeeded"}),
			rule:   "progression", result: "fail", decision: "blocked", reason: "never deployed there"},
		{name: "every preceding environment", policy: progressionPolicy, mutate: func(in *gate.Input) { toUS(in); deployed(done)(in) },
			rule: "progression", result: "fail", decision: "blocked", reason: "REL-7 has not succeeded in prod-eu (required before prod-us)"},
		{name: "both preceding succeeded", policy: progressionPolicy, mutate: func(in *gate.Input) {
			toUS(in)
			deployed(done, gate.Deployment{ID: "DEP-3", Environment: "prod-eu", Status: "succeeded"})(in)
		}, rule: "progression", result: "pass", decision: "allowed", reason: "succeeded in staging (DEP-2), prod-eu (DEP-3), required before prod-us"},
		{name: "requires overrides progression", policy: progressionPolicy + "\nenvironments: {prod-us: {requires: [staging]}}",
			mutate: func(in *gate.Input) { toUS(in); deployed(done)(in) },
			rule:   "progression", result: "pass", decision: "allowed", reason: "succeeded in staging (DEP-2), required before prod-us"},
		{name: "requires without progression", policy: "environments: {prod-eu: {requires: [qa]}}",
			rule: "progression", result: "fail", decision: "blocked", reason: "has not succeeded in qa (required before prod-eu)"},
		{name: "deviation excuses", policy: progressionPolicy, mutate: func(in *gate.Input) {
			in.Change.Deviations = []gate.Deviation{{ID: "CHG-4#1", Rule: "progression", Reason: "hotfix, staging is down", ApprovedBy: "carl"}}
		}, rule: "progression", result: "warn", decision: "allowed", reason: "allowed by a deviation approved by carl: hotfix, staging is down"},
		{name: "severity warn", policy: progressionPolicy + "\ngate: {rules: {progression: {severity: warn}}}",
			rule: "progression", result: "warn", decision: "allowed", reason: "never deployed there"},
		{name: "disabled", policy: progressionPolicy + "\ngate: {rules: {progression: {enabled: false}}}",
			rule: "progression", result: "skip", decision: "allowed", reason: "disabled by the policy"},
	})
}

func incident(id, ci string, sev int) gate.Incident {
	return gate.Incident{ID: id, Title: "5xx above 2%", Environment: "prod-eu", CI: ci, Severity: sev, Source: "alertmanager",
		OpenedAt: ts("2026-03-22T01:00:00Z")}
}

func alert(sig int64, ci string, sev int) gate.Alert {
	return gate.Alert{Signal: sig, Name: "HighErrorRate", Fingerprint: "f1", Environment: "prod-eu", CI: ci, Severity: sev,
		StartsAt: ts("2026-03-22T01:00:00Z")}
}

func TestRuleTargetHealth(t *testing.T) {
	open := func(is ...gate.Incident) func(in *gate.Input) {
		return func(in *gate.Input) { in.OpenIncidents = append(in.OpenIncidents, is...) }
	}
	firing := func(as ...gate.Alert) func(in *gate.Input) {
		return func(in *gate.Input) { in.FiringAlerts = append(in.FiringAlerts, as...) }
	}
	withIncident := func(a gate.Alert, id string) gate.Alert { a.Incident = id; return a }
	elsewhere := incident("INC-4", "checkout-api", 1)
	elsewhere.Environment = "prod-us"
	ofPRB3 := incident("INC-6", "checkout-api", 1)
	ofPRB3.Problem = "PRB-3"
	runRuleCases(t, []ruleCase{
		{name: "healthy", rule: "target_health", result: "pass", decision: "allowed",
			reason: "no open incident and no firing alert of severity 1–2 in prod-eu on checkout-api or the 2 CIs they depend on"},
		{name: "incident on the release's CI", mutate: open(incident("INC-5", "checkout-api", 2)),
			rule: "target_health", result: "fail", decision: "blocked", reason: "INC-5 (severity 2, 5xx above 2%) is open on checkout-api in prod-eu"},
		{name: "incident on a transitive dependency", mutate: open(incident("INC-5", "crypto-lib", 1)),
			rule: "target_health", result: "fail", decision: "blocked", reason: "is open on crypto-lib, which checkout-api depends on in prod-eu"},
		{name: "incident on a dependent does not count", mutate: open(incident("INC-5", "web-shop", 1)),
			rule: "target_health", result: "pass", decision: "allowed", reason: "no open incident"},
		{name: "incident below the severity", mutate: open(incident("INC-5", "checkout-api", 3)),
			rule: "target_health", result: "pass", decision: "allowed", reason: "no open incident"},
		{name: "min_severity 3 counts severity 3", policy: "gate: {rules: {target_health: {min_severity: 3}}}",
			mutate: open(incident("INC-5", "checkout-api", 3)),
			rule:   "target_health", result: "fail", decision: "blocked", reason: "INC-5 (severity 3"},
		{name: "incident in another environment", mutate: open(elsewhere),
			rule: "target_health", result: "pass", decision: "allowed", reason: "no open incident"},
		{name: "incident of the problem the release fixes", mutate: open(ofPRB3),
			rule: "target_health", result: "pass", decision: "allowed", reason: "not counted, as this release resolves their problem: INC-6 (PRB-3)"},
		{name: "firing alert without incident", mutate: firing(alert(17, "payments-lib", 1)),
			rule: "target_health", result: "fail", decision: "blocked",
			reason: "alert HighErrorRate (severity 1) is firing on payments-lib, which checkout-api depends on in prod-eu since 2026-03-22 01:00 UTC"},
		{name: "low-severity alert", mutate: firing(alert(17, "payments-lib", 4)),
			rule: "target_health", result: "pass", decision: "allowed", reason: "no open incident"},
		{name: "alert judged as its incident", mutate: func(in *gate.Input) {
			open(incident("INC-5", "checkout-api", 4))(in) // a person lowered it
			firing(withIncident(alert(17, "checkout-api", 1), "INC-5"))(in)
		}, rule: "target_health", result: "pass", decision: "allowed", reason: "no open incident"},
		{name: "incident names its firing alert", mutate: func(in *gate.Input) {
			open(incident("INC-5", "checkout-api", 1))(in)
			firing(withIncident(alert(17, "checkout-api", 1), "INC-5"))(in)
		}, rule: "target_health", result: "fail", decision: "blocked", reason: "is open on checkout-api in prod-eu; alert firing: HighErrorRate"},
		{name: "deviation excuses", mutate: func(in *gate.Input) {
			open(incident("INC-5", "checkout-api", 1))(in)
			in.Change.Deviations = []gate.Deviation{{Rule: "target_health", Reason: "the incident is the load test", ApprovedBy: "carl"}}
		}, rule: "target_health", result: "warn", decision: "allowed", reason: "allowed by a deviation approved by carl"},
		{name: "disabled", policy: "gate: {rules: {target_health: {enabled: false}}}", mutate: open(incident("INC-5", "checkout-api", 1)),
			rule: "target_health", result: "skip", decision: "allowed", reason: "disabled by the policy"},
	})
}

// TestTargetHealthLinesAndRecords: one line per incident and per alert of
// its own, each naming its records; an alert of a listed incident adds no line.
func TestTargetHealthLinesAndRecords(t *testing.T) {
	in := base()
	in.OpenIncidents = []gate.Incident{incident("INC-5", "checkout-api", 1)}
	a := alert(18, "checkout-api", 1)
	a.Incident = "INC-5"
	in.FiringAlerts = []gate.Alert{alert(17, "crypto-lib", 2), a}
	v := gate.Evaluate(mustPolicy(t, ""), in, sundayNight)
	var recs [][]string
	for _, r := range v.Rules {
		if r.Rule == gate.RuleTargetHealth {
			recs = append(recs, r.Records)
		}
	}
	if len(recs) != 2 || len(recs[0]) != 1 || recs[0][0] != "INC-5" || len(recs[1]) != 1 || recs[1][0] != "signal-17" {
		t.Fatalf("records %v:%s", recs, dump(v))
	}
}

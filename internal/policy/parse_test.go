package policy_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

func readExample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("../../docs/policy.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseExample(t *testing.T) {
	p, err := policy.Parse(readExample(t))
	if err != nil {
		t.Fatalf("example policy refused: %v", err)
	}
	if p.Version != 1 {
		t.Errorf("version = %d, want 1", p.Version)
	}
	if len(p.Gate.Custom) != 2 || p.Gate.Custom[0].Severity != policy.Warn {
		t.Errorf("custom rules = %+v", p.Gate.Custom)
	}
	if got := p.Observation(4); got != 72*time.Hour {
		t.Errorf("observation(4) = %v, want 72h", got)
	}
	if got := time.Duration(p.RetentionClasses["regulated"].Keep); got != 7*365*24*time.Hour {
		t.Errorf("regulated keep = %v", got)
	}
	// The example spells out the built-in policy (plus version, custom
	// rules and the rollout keys that have no built-in value), so apart from
	// those the two must hash the same.
	d := policy.Default()
	d.Version, d.Gate.Custom = p.Version, p.Gate.Custom
	d.Paths, d.Drivers, d.Environments, d.Progression = p.Paths, p.Drivers, p.Environments, p.Progression
	for name, t := range p.AnalysisTemplates {
		if name != "recurrence" && name != "incidents" {
			d.AnalysisTemplates[name] = t
		}
	}
	if d.Hash() != p.Hash() {
		t.Errorf("example differs from the built-in policy beyond version and custom rules")
	}
}

func TestParseDefaultsAndOverrides(t *testing.T) {
	p, err := policy.Parse([]byte("version: 7\nobservation_periods:\n  1: 60d\ngate:\n  rules:\n    canary:\n      enabled: false\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 7 || p.Observation(1) != 60*24*time.Hour || p.Observation(2) != 14*24*time.Hour {
		t.Errorf("overrides not merged: version %d obs1 %v obs2 %v", p.Version, p.Observation(1), p.Observation(2))
	}
	if p.Gate.Rules.Canary.Enabled || p.Gate.Rules.Canary.StageTag != "canary" || !p.Gate.Rules.Semver.Enabled {
		t.Errorf("rule params not merged: %+v", p.Gate.Rules)
	}
	if len(p.ChangeModels) != 4 || len(p.RootCauseCategories) != 11 {
		t.Errorf("defaults lost: %d models, %d categories", len(p.ChangeModels), len(p.RootCauseCategories))
	}
	q, err := policy.Parse([]byte("change_models:\n  hotfix:\n    default_change_type: emergency\n    rollout_path: [{name: full, weight: 100}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.ChangeModels) != 1 {
		t.Errorf("change_models should replace the built-in set, got %d models", len(q.ChangeModels))
	}
}

func TestParseRefusals(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "  \n", "line 1: the file is empty"},
		{"unknown top key", "version: 1\nrisky: true\n", "line 2: risky: unknown key"},
		{"unknown nested key", "gate:\n  rules:\n    open_problems:\n      min_prio: 2\n", "line 4: gate.rules.open_problems.min_prio: unknown key"},
		{"min priority range", "version: 1\ngate:\n  rules:\n    open_problems:\n      min_priority: 9\n",
			"line 5: gate.rules.open_problems.min_priority: must be 1..4"},
		{"wrong type", "version: one\n", `line 1: version: want a whole number, got "one"`},
		{"bad severity", "gate:\n  rules:\n    semver:\n      severity: block\n", "line 4: gate.rules.semver.severity: must be fail or warn"},
		{"bad risk class", "risk:\n  rules:\n    - when: 'true'\n      class: huge\n", "line 4: risk.rules[0].class: must be one of low"},
		{"bad role", "approvals:\n  high:\n    - role: boss\n", "line 3: approvals.high[0].role: must be peer or one of"},
		{"bad duration", "observation_periods:\n  1: 30 days\n", "line 2: observation_periods.1: \"30 days\" is not a duration"},
		{"bad priority key", "observation_periods:\n  7: 30d\n", "line 2: observation_periods.7: priorities are 1 (highest) to 4"},
		{"null section", "gate:\n", "line 1: gate: has no value"},
		{"not a mapping", "- a\n- b\n", "line 1: the file must be a mapping"},
		{"syntax", "gate:\n  rules: [\n", "line 2: did not find expected node content"},
		{"two documents", "version: 1\n---\nversion: 2\n", "line 2: only one YAML document"},
		{"rollout weights", "change_models:\n  x:\n    default_change_type: normal\n    rollout_path: [{name: a, weight: 50}, {name: b, weight: 20}]\n",
			"line 4: change_models.x.rollout_path[1].weight: must rise"},
		{"bad CEL syntax", "version: 1\ngate:\n  custom:\n    - name: broken\n      expr: \"release.type ==\"\n",
			"line 5: gate.custom[0].expr: does not compile: 1:16: Syntax error"},
		{"CEL type error", "gate:\n  custom:\n    - name: typed\n      expr: \"1 + 'a'\"\n", "line 4: gate.custom[0].expr: does not compile"},
		{"CEL not boolean", "gate:\n  custom:\n    - name: num\n      expr: \"1 + 2\"\n", "line 4: gate.custom[0].expr: must be a boolean expression"},
		{"CEL unknown variable", "gate:\n  custom:\n    - name: v\n      expr: \"relase.type == 'x'\"\n", "undeclared reference to 'relase'"},
		{"risk CEL type", "risk:\n  rules:\n    - when: \"env_tier == 3\"\n      class: low\n", "line 3: risk.rules[0].when: does not compile"},
		{"duplicate custom", "gate:\n  custom:\n    - {name: a, expr: 'true'}\n    - {name: a, expr: 'true'}\n", "line 4: gate.custom[1].name: rule \"a\" is defined twice"},
		{"unknown status", "gate:\n  rules:\n    problem_state:\n      allowed_statuses: [fixed]\n", "gate.rules.problem_state.allowed_statuses[0]: must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted; want refusal %q (policy %+v)", tt.want, p)
			}
			fe := fault.As(err)
			if fe == nil || fe.Code != fault.Invalid || fe.Field != "policy" {
				t.Fatalf("error %v is not an Invalid fault on field policy", err)
			}
			if !strings.Contains(fe.Message, tt.want) {
				t.Errorf("message %q does not contain %q", fe.Message, tt.want)
			}
			if strings.Contains(fe.Message, "\n") {
				t.Errorf("message spans lines: %q", fe.Message)
			}
		})
	}
}

func TestHashCanonical(t *testing.T) {
	a, err := policy.Parse([]byte("version: 2\n# a comment\ngate:\n  rules:\n    semver: {severity: warn}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := policy.Parse([]byte("gate: {rules: {semver: {severity: warn}}}\nversion: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() || !strings.HasPrefix(a.Hash(), "sha256:") {
		t.Errorf("same policy, different hashes: %s %s", a.Hash(), b.Hash())
	}
	c, _ := policy.Parse([]byte("version: 2\n"))
	if c.Hash() == a.Hash() {
		t.Error("different policies hash the same")
	}
}

func TestClassify(t *testing.T) {
	p := policy.Default()
	tests := []struct {
		in   policy.RiskInputs
		want string
	}{
		{policy.RiskInputs{ProblemPriority: 1, EnvTier: "production", CICriticality: "low"}, policy.Critical},
		{policy.RiskInputs{ProblemPriority: 3, EnvTier: "production", CICriticality: "critical"}, policy.Critical},
		{policy.RiskInputs{ProblemPriority: 3, EnvTier: "staging", ChangeType: "emergency", CICriticality: "low"}, policy.High},
		{policy.RiskInputs{ProblemPriority: 2, EnvTier: "production", CICriticality: "low"}, policy.High},
		{policy.RiskInputs{ProblemPriority: 4, EnvTier: "production", CICriticality: "low", ReleaseSize: 6}, policy.High},
		{policy.RiskInputs{ProblemPriority: 4, EnvTier: "production", CICriticality: "medium", ReleaseSize: 1}, policy.Medium},
		{policy.RiskInputs{ProblemPriority: 5, EnvTier: "staging", CICriticality: "medium", ReleaseSize: 1}, policy.Low},
	}
	for _, tt := range tests {
		got, by, err := p.Classify(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Classify(%+v) = %s (%s), %v; want %s", tt.in, got, by, err, tt.want)
		}
	}
	bad, err := policy.Parse([]byte("risk:\n  rules:\n    - when: \"10 / (release_size - release_size) > 1\"\n      class: high\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _, err := bad.Classify(policy.RiskInputs{ReleaseSize: 3}); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("Classify with a failing rule = %q, %v; want a division by zero error", c, err)
	}
}

func TestCustomRuleCostLimit(t *testing.T) {
	p, err := policy.Parse([]byte("gate:\n  cost_limit: 50\n  custom:\n    - name: heavy\n      expr: \"cis.all(c, cis.all(d, c != d || true))\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cis := make([]any, 100)
	for i := range cis {
		cis[i] = map[string]any{"name": i}
	}
	vars := map[string]any{"cis": cis}
	if _, err := p.Gate.Custom[0].Holds(vars); err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("Holds over the cost limit = %v, want a cost limit error", err)
	}
}

package gate_test

import (
	"strings"
	"testing"

	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

const docPolicy = `
version: 1
gate:
  rules:
    documentation:
      required: {high: [rca, test_report, rollback_plan], critical: [rca, test_report, rollback_plan]}
`

func TestRuleDocumentation(t *testing.T) {
	pol := mustPolicy(t, docPolicy)
	all := []gate.Document{{Kind: "rca", Name: "rca.md"}, {Kind: "test_report", Name: "tests.xml"}, {Kind: "rollback_plan", Name: "rb.md"}}
	cases := []struct {
		name   string
		edit   func(in *gate.Input)
		result string
		want   string
	}{
		{"every document attached", func(in *gate.Input) { in.Release.Documents = all }, gate.Pass, "carries the documents a high-risk release needs: rca, rollback_plan, test_report"},
		{"none attached", func(in *gate.Input) {}, gate.Fail, "needs a rca document; REL-7 has none attached"},
		{"rca from the problem", func(in *gate.Input) {
			in.Release.Documents = all[1:]
			in.Problems[0].RCA.Document = strings.Repeat("a", 64)
		}, gate.Pass, "carries the documents"},
		{"rollback plan missing", func(in *gate.Input) { in.Release.Documents = all[:2] }, gate.Fail, "needs a rollback_plan document"},
		{"deviation excuses", func(in *gate.Input) {
			in.Change.Deviations = []gate.Deviation{{ID: "DEV-2", Rule: "documentation", Reason: "hotfix", ApprovedBy: "paula"}}
		}, gate.Warn, "allowed by a deviation approved by paula: hotfix"},
		{"low risk needs nothing", func(in *gate.Input) { in.Environment.Tier = "development" }, gate.Pass, "requires no document for a low-risk release"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.edit(&in)
			v := gate.Evaluate(pol, in, sundayNight)
			if got := v.RuleResult(gate.RuleDocumentation); got != c.result {
				t.Fatalf("documentation = %s, want %s:%s", got, c.result, dump(v))
			}
			if r := reasonsOf(v, gate.RuleDocumentation); !strings.Contains(r, c.want) {
				t.Errorf("reasons %q lack %q", r, c.want)
			}
		})
	}
}

func TestRuleDocumentationDefaultRequiresNothing(t *testing.T) {
	v := gate.Evaluate(mustPolicy(t, ""), base(), sundayNight)
	if got := v.RuleResult(gate.RuleDocumentation); got != gate.Pass {
		t.Fatalf("default policy: documentation = %s, want pass:%s", got, dump(v))
	}
}

func TestPolicyRefusesUnknownDocumentKind(t *testing.T) {
	for _, y := range []string{
		"version: 1\ngate: {rules: {documentation: {required: {critical: [novel]}}}}\n",
		"version: 1\ngate: {rules: {documentation: {required: {severe: [rca]}}}}\n",
	} {
		if _, err := parsePolicy(y); err == nil || !strings.Contains(err.Error(), "gate.rules.documentation.required") {
			t.Errorf("%q: err = %v, want a refusal naming gate.rules.documentation.required", y, err)
		}
	}
}

func parsePolicy(y string) (*policy.Policy, error) { return policy.Parse([]byte(y)) }

package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/fault"
	"fixgate/internal/policy"
)

// Case is one recorded gate input and the answer a policy must give, for
// `fixgate policy test`. A cases file (YAML or JSON) is {cases: [Case …]}.
type Case struct {
	Name  string `json:"name"`
	Input Input  `json:"input"`
	// Now is the evaluation time; input.at when absent.
	Now time.Time `json:"now"`
	// Expect is the decision: allowed, blocked or undecided.
	Expect string `json:"expect"`
	// ExpectRules maps a rule name to its (worst) result: pass, fail, warn or skip.
	ExpectRules map[string]string `json:"expect_rules"`
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	Name       string   `json:"name"`
	Pass       bool     `json:"pass"`
	Mismatches []string `json:"mismatches"`
	Verdict    Verdict  `json:"verdict"`
}

// ParseCases reads a cases file. Each case is decoded strictly (unknown keys
// refused); errors are Invalid on field "cases" and name the case and its line.
func ParseCases(data []byte) ([]Case, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fault.Field("cases", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		return nil, fault.Field("cases", "line 1: want a mapping with a cases list")
	}
	doc := root.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "cases" {
			return nil, fault.Field("cases", "line %d: unknown key %q (want cases)", doc.Content[i].Line, doc.Content[i].Value)
		}
		list = doc.Content[i+1]
	}
	if list == nil || list.Kind != yaml.SequenceNode || len(list.Content) == 0 {
		return nil, fault.Field("cases", "line %d: cases must be a non-empty list", doc.Line)
	}
	out := make([]Case, 0, len(list.Content))
	names := map[string]bool{}
	for i, n := range list.Content {
		c, err := decodeCase(n)
		if err == nil && names[c.Name] {
			err = fmt.Errorf("name %q is used twice", c.Name)
		}
		if err != nil {
			return nil, fault.Field("cases", "line %d: case %d: %v", n.Line, i+1, err)
		}
		names[c.Name] = true
		out = append(out, c)
	}
	return out, nil
}

// decodeCase turns one YAML node into a Case through JSON, strictly.
func decodeCase(n *yaml.Node) (Case, error) {
	var c Case
	var raw any
	if err := n.Decode(&raw); err != nil {
		return c, err
	}
	raw, err := jsonable(raw)
	if err != nil {
		return c, err
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return c, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if strings.TrimSpace(c.Name) == "" {
		return c, fmt.Errorf("name is required")
	}
	if !slices.Contains([]string{Allowed, Blocked, Undecided}, c.Expect) {
		return c, fmt.Errorf("%s: expect must be allowed, blocked or undecided, got %q", c.Name, c.Expect)
	}
	for rule, want := range c.ExpectRules {
		if !slices.Contains([]string{Pass, Fail, Warn, Skip}, want) {
			return c, fmt.Errorf("%s: expect_rules.%s must be pass, fail, warn or skip, got %q", c.Name, rule, want)
		}
	}
	if c.Now.IsZero() {
		if c.Input.At == nil {
			return c, fmt.Errorf("%s: needs now (or input.at) so the case gives the same answer every day", c.Name)
		}
		c.Now = *c.Input.At
	}
	return c, nil
}

// jsonable converts YAML's generic values into ones encoding/json accepts.
func jsonable(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			x[k] = j
		}
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = j
		}
		return m, nil
	case []any:
		for i, e := range x {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			x[i] = j
		}
	}
	return v, nil
}

// RunCases evaluates every case against pol and compares the answers.
func RunCases(pol *policy.Policy, cases []Case) []CaseResult {
	out := make([]CaseResult, 0, len(cases))
	for _, c := range cases {
		v := Evaluate(pol, c.Input, c.Now)
		r := CaseResult{Name: c.Name, Verdict: v, Mismatches: []string{}}
		if v.Decision != c.Expect {
			r.Mismatches = append(r.Mismatches, fmt.Sprintf("decision is %s, want %s%s", v.Decision, c.Expect, why(v)))
		}
		rules := make([]string, 0, len(c.ExpectRules))
		for rule := range c.ExpectRules {
			rules = append(rules, rule)
		}
		sort.Strings(rules)
		for _, rule := range rules {
			got, want := v.RuleResult(rule), c.ExpectRules[rule]
			switch {
			case got == "":
				r.Mismatches = append(r.Mismatches, fmt.Sprintf("rule %s is not in the verdict", rule))
			case got != want:
				r.Mismatches = append(r.Mismatches, fmt.Sprintf("rule %s is %s, want %s: %s", rule, got, want, reasons(v, rule)))
			}
		}
		r.Pass = len(r.Mismatches) == 0
		out = append(out, r)
	}
	return out
}

// why lists the lines that decided a verdict that is not allowed.
func why(v Verdict) string {
	var parts []string
	for _, r := range v.Rules {
		if r.Result == Fail {
			parts = append(parts, r.Rule+": "+r.Reason)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func reasons(v Verdict, rule string) string {
	var parts []string
	for _, r := range v.Rules {
		if r.Rule == rule {
			parts = append(parts, r.Reason)
		}
	}
	return strings.Join(parts, "; ")
}

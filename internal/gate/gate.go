package gate

import (
	"fmt"
	"slices"
	"time"

	"fixgate/internal/policy"
)

// Decisions of a verdict.
const (
	Allowed   = "allowed"
	Blocked   = "blocked"
	Undecided = "undecided"
)

// Results of one rule. Skip marks a rule the policy disables.
const (
	Pass = "pass"
	Fail = "fail"
	Warn = "warn"
	Skip = "skip"
)

// Rule names, in evaluation order. Custom rules are named "custom:<name>".
const (
	RuleInput              = "input"
	RuleRCAValidated       = "rca_validated"
	RuleProblemState       = "problem_state"
	RuleOpenProblems       = "open_problems"
	RuleComponentApproval  = "component_approval"
	RuleSegregation        = "segregation"
	RuleSemver             = "semver"
	RuleSeparationOfDuties = "separation_of_duties"
	RuleApprovals          = "approvals"
	RuleMaintenanceWindow  = "maintenance_window"
	RuleCanary             = "canary"
	RuleProgression        = "progression"
	RuleTargetHealth       = "target_health"
	RuleDocumentation      = "documentation"
	RuleChecklist          = "checklist"
)

// Verdict is the answer of one evaluation.
type Verdict struct {
	Decision      string    `json:"decision"`
	RiskClass     string    `json:"risk_class"`
	Rules         []Result  `json:"rules"`
	PolicyVersion int       `json:"policy_version"`
	PolicyHash    string    `json:"policy_hash"`
	At            time.Time `json:"at"`
	EvaluatedAt   time.Time `json:"evaluated_at"`
}

// Result is one line of a verdict. A rule may give several lines (one per
// offending record). Undecided marks a line whose rule could not be
// evaluated (bad input, a CEL error): the verdict is then undecided.
type Result struct {
	Rule      string   `json:"rule"`
	Result    string   `json:"result"`
	Reason    string   `json:"reason"`
	Records   []string `json:"records"`
	Undecided bool     `json:"undecided,omitempty"`
}

// RuleResult returns the worst result a rule gave (fail > warn > pass >
// skip), "" if the verdict has no line for it.
func (v Verdict) RuleResult(rule string) string {
	order := []string{"", Skip, Pass, Warn, Fail}
	worst := ""
	for _, r := range v.Rules {
		if r.Rule == rule && slices.Index(order, r.Result) > slices.Index(order, worst) {
			worst = r.Result
		}
	}
	return worst
}

// ruleFunc checks one rule. It reports violations as Fail (Evaluate applies
// the rule's severity), advice as Warn, and gives one Pass line when all is well.
type ruleFunc func(pol *policy.Policy, in *Input, now time.Time) []Result

type builtin struct {
	name string
	fn   ruleFunc
	sw   func(r *policy.Rules) policy.Switch
}

var builtins = []builtin{
	{RuleRCAValidated, ruleRCAValidated, func(r *policy.Rules) policy.Switch { return r.RCAValidated.Switch }},
	{RuleProblemState, ruleProblemState, func(r *policy.Rules) policy.Switch { return r.ProblemState.Switch }},
	{RuleOpenProblems, ruleOpenProblems, func(r *policy.Rules) policy.Switch { return r.OpenProblems.Switch }},
	{RuleComponentApproval, ruleComponentApproval, func(r *policy.Rules) policy.Switch { return r.ComponentApproval.Switch }},
	{RuleSegregation, ruleSegregation, func(r *policy.Rules) policy.Switch { return r.Segregation }},
	{RuleSemver, ruleSemver, func(r *policy.Rules) policy.Switch { return r.Semver.Switch }},
	{RuleSeparationOfDuties, ruleSeparationOfDuties, func(r *policy.Rules) policy.Switch { return r.SeparationOfDuties }},
	{RuleApprovals, ruleApprovals, func(r *policy.Rules) policy.Switch { return r.Approvals }},
	{RuleMaintenanceWindow, ruleMaintenanceWindow, func(r *policy.Rules) policy.Switch { return r.MaintenanceWindow.Switch }},
	{RuleCanary, ruleCanary, func(r *policy.Rules) policy.Switch { return r.Canary.Switch }},
	{RuleProgression, ruleProgression, func(r *policy.Rules) policy.Switch { return r.Progression }},
	{RuleTargetHealth, ruleTargetHealth, func(r *policy.Rules) policy.Switch { return r.TargetHealth.Switch }},
	{RuleDocumentation, ruleDocumentation, func(r *policy.Rules) policy.Switch { return r.Documentation.Switch }},
	{RuleChecklist, ruleChecklist, func(r *policy.Rules) policy.Switch { return r.Checklist }},
}

// Evaluate checks in against pol at now and explains the answer. It is pure
// and safe for concurrent use. The deployment time is in.At, or now. The
// decision is undecided when the input is inconsistent or a rule could not
// be evaluated (never allowed in that case), blocked when a rule fails, and
// allowed otherwise (warnings do not block). Disabled rules are listed as skip.
func Evaluate(pol *policy.Policy, in Input, now time.Time) Verdict {
	in = normalise(in, now)
	var risk riskMemo
	risk.class, risk.by, risk.err = riskClass(pol, &in)
	in.risk = &risk
	v := Verdict{PolicyVersion: pol.Version, PolicyHash: pol.Hash(), At: *in.At, EvaluatedAt: now, RiskClass: risk.class}
	v.Rules = append(v.Rules, checkInput(&in)...)
	for _, b := range builtins {
		sw := b.sw(&pol.Gate.Rules)
		if !sw.Enabled {
			v.Rules = append(v.Rules, Result{Rule: b.name, Result: Skip, Reason: "disabled by the policy", Records: []string{}})
			continue
		}
		for _, r := range b.fn(pol, &in, now) {
			r.Rule = b.name
			v.Rules = append(v.Rules, withSeverity(r, sw.Severity))
		}
	}
	if len(pol.Gate.Custom) > 0 {
		vars := Activation(&in, pol, now)
		for i := range pol.Gate.Custom {
			v.Rules = append(v.Rules, customResult(&pol.Gate.Custom[i], vars, &in))
		}
	}
	v.Decision = decide(v.Rules)
	return v
}

func withSeverity(r Result, severity string) Result {
	if r.Result == Fail && severity == policy.Warn && !r.Undecided {
		r.Result = Warn
	}
	if r.Records == nil {
		r.Records = []string{}
	}
	return r
}

func decide(rs []Result) string {
	blocked := false
	for _, r := range rs {
		if r.Undecided {
			return Undecided
		}
		blocked = blocked || r.Result == Fail
	}
	if blocked {
		return Blocked
	}
	return Allowed
}

// normalise fills At, derives the authors, and replaces nil lists and maps
// with empty ones (custom rules see [] and {}, never null). It does not
// change the caller's slices.
func normalise(in Input, now time.Time) Input {
	if in.At == nil {
		at := now
		in.At = &at
	}
	authors := slices.Clone(in.Authors)
	add := func(user, as string) {
		if user != "" {
			authors = append(authors, Author{User: user, As: as})
		}
	}
	add(in.Release.Creator, "created the release")
	if in.Change != nil {
		add(in.Change.Requester, "requested the change")
		c := *in.Change // the caller's change keeps its nil list
		c.Checklist = orEmpty(c.Checklist)
		in.Change = &c
		authors = append(authors, checklistAuthors(in.Change)...)
	}
	for _, p := range in.Problems {
		add(p.RCA.Author, "authored the RCA of "+p.ID)
		add(p.ResolvedBy, "resolved "+p.ID)
	}
	in.Authors = authors
	in.Release.Components = orEmpty(in.Release.Components)
	in.Release.Resolves = orEmpty(in.Release.Resolves)
	in.Release.Documents = orEmpty(in.Release.Documents)
	in.Problems, in.Components, in.OpenProblems = orEmpty(in.Problems), orEmpty(in.Components), orEmpty(in.OpenProblems)
	in.CIs, in.Approvals, in.Path = orEmpty(in.CIs), orEmpty(in.Approvals), orEmpty(in.Path)
	if in.Catalogue == nil {
		in.Catalogue = map[string][]Component{}
	}
	if in.Live == nil {
		in.Live = map[string]string{}
	}
	if in.Revisions == nil {
		in.Revisions = map[string]int64{}
	}
	in.Environment.Windows = orEmpty(in.Environment.Windows)
	in.Environment.Freezes = orEmpty(in.Environment.Freezes)
	in.Environment.Tags = orEmpty(in.Environment.Tags)
	in.Deployments, in.FiringAlerts, in.OpenIncidents = orEmpty(in.Deployments), orEmpty(in.FiringAlerts), orEmpty(in.OpenIncidents)
	return in
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// riskClass computes the risk class from the policy's rules, or takes the
// change's override. by says where the class came from.
func riskClass(pol *policy.Policy, in *Input) (class, by string, err error) {
	if m := in.risk; m != nil {
		return m.class, m.by, m.err
	}
	if o := in.Change; o != nil && o.RiskOverride != nil {
		if policy.RiskRank(o.RiskOverride.Class) < 0 {
			return "", "", fmt.Errorf("risk override %q is not a risk class", o.RiskOverride.Class)
		}
		return o.RiskOverride.Class, "override by " + o.RiskOverride.By, nil
	}
	return pol.Classify(riskInputs(in))
}

// ComputeRisk returns the risk class the policy's rules give for in,
// ignoring any override the change carries, and which rule gave it.
func ComputeRisk(pol *policy.Policy, in Input) (class, by string, err error) {
	in = normalise(in, time.Time{})
	return pol.Classify(riskInputs(&in))
}

// riskMemo is the risk class computed once per evaluation.
type riskMemo struct {
	class, by string
	err       error
}

// riskInputs gathers the variables of the risk rules from the input.
func riskInputs(in *Input) policy.RiskInputs {
	ri := policy.RiskInputs{ProblemPriority: 5, CICriticality: "low", EnvTier: in.Environment.Tier,
		ReleaseSize: len(in.Release.Components), ReleaseType: in.Release.Type}
	for _, p := range in.Problems {
		if p.Priority >= 1 && p.Priority < ri.ProblemPriority {
			ri.ProblemPriority = p.Priority
		}
	}
	names := releaseCIs(in)
	crit := make(map[string]string, len(names))
	for _, c := range in.CIs {
		if slices.Contains(names, c.Name) {
			crit[c.Name] = c.Criticality
		}
	}
	levels := []string{"low", "medium", "high", "critical"}
	for _, name := range names {
		c, ok := crit[name]
		if !ok || !slices.Contains(levels, c) {
			c = "medium" // a CI the graph does not know gets the catalogue's default
		}
		if slices.Index(levels, c) > slices.Index(levels, ri.CICriticality) {
			ri.CICriticality = c
		}
	}
	if in.Change != nil {
		ri.ChangeType = in.Change.Type
	}
	return ri
}

// releaseCIs returns the CI names of the release's components, sorted, unique.
func releaseCIs(in *Input) []string {
	var out []string
	for _, ref := range in.Release.Components {
		name, _, _ := cutRef(ref)
		out = append(out, name)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"fixgate/internal/auth"
	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
)

// ChangeTypes are the types of change a change model may default to.
var ChangeTypes = []string{"standard", "normal", "emergency"}

// DefaultCostLimit and MaxCostLimit bound the CEL cost of one rule evaluation.
const (
	DefaultCostLimit = 100_000
	MaxCostLimit     = 100_000_000
)

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// validate checks every value and fills defaults inside lists (count 1,
// severity fail). Returns the first *pathError.
func (p *Policy) validate() error {
	if p.Version < 0 {
		return bad("version", "must be 0 or more")
	}
	checks := []func() error{p.validateCategories, p.validateRisk, p.validateApprovals, p.validateModels,
		p.validateObservation, p.validateRules, p.validateCustom, p.validateRetention, p.validateRollout, p.validateOIDC}
	for _, c := range checks {
		if err := c(); err != nil {
			return err
		}
	}
	return nil
}

func (p *Policy) validateCategories() error {
	if len(p.RootCauseCategories) == 0 {
		return bad("root_cause_categories", "needs at least one category")
	}
	seen := map[string]bool{}
	for i, c := range p.RootCauseCategories {
		path := fmt.Sprintf("root_cause_categories[%d]", i)
		if err := ident.ValidName(path, c); err != nil {
			return bad(path, "%q is not a valid name (lower-case letters, digits, '-', '_', '.')", c)
		}
		if seen[c] {
			return bad(path, "%q is listed twice", c)
		}
		seen[c] = true
	}
	return nil
}

func (p *Policy) validateRisk() error {
	if !slices.Contains(RiskClasses, p.Risk.Default) {
		return bad("risk.default", "must be one of %s, got %q", strings.Join(RiskClasses, ", "), p.Risk.Default)
	}
	for i, r := range p.Risk.Rules {
		path := fmt.Sprintf("risk.rules[%d]", i)
		if strings.TrimSpace(r.When) == "" {
			return bad(path+".when", "is required (a CEL expression, e.g. env_tier == 'production')")
		}
		if !slices.Contains(RiskClasses, r.Class) {
			return bad(path+".class", "must be one of %s, got %q", strings.Join(RiskClasses, ", "), r.Class)
		}
	}
	return nil
}

// approverRole reports whether role may be required of an approver.
func approverRole(role string, peerOK bool) bool {
	if role == Peer {
		return peerOK
	}
	r := auth.Role(role)
	return slices.Contains(auth.AllRoles, r) && r != auth.Auditor && r != auth.Pipeline
}

func approverRoles() string {
	out := []string{}
	for _, r := range auth.AllRoles {
		if r != auth.Auditor && r != auth.Pipeline {
			out = append(out, string(r))
		}
	}
	return strings.Join(out, ", ")
}

func (p *Policy) validateApprovals() error {
	for _, class := range RiskClasses {
		reqs := p.Approvals.For(class)
		seen := map[string]bool{}
		for i := range reqs {
			path := fmt.Sprintf("approvals.%s[%d]", class, i)
			if !approverRole(reqs[i].Role, true) {
				return bad(path+".role", "must be peer or one of %s, got %q", approverRoles(), reqs[i].Role)
			}
			if seen[reqs[i].Role] {
				return bad(path+".role", "%q is listed twice; raise its count instead", reqs[i].Role)
			}
			seen[reqs[i].Role] = true
			if reqs[i].Count == 0 {
				reqs[i].Count = 1
			}
			if reqs[i].Count < 1 || reqs[i].Count > 20 {
				return bad(path+".count", "must be 1..20, got %d", reqs[i].Count)
			}
		}
	}
	if !approverRole(p.Approvals.MixedRelease, false) {
		return bad("approvals.mixed_release", "must be one of %s, got %q", approverRoles(), p.Approvals.MixedRelease)
	}
	if !approverRole(p.Approvals.EmergencySignoff, false) {
		return bad("approvals.emergency_signoff", "must be one of %s, got %q", approverRoles(), p.Approvals.EmergencySignoff)
	}
	return nil
}

func (p *Policy) validateModels() error {
	for _, name := range sortedKeys(p.ChangeModels) {
		m := p.ChangeModels[name]
		path := "change_models." + name
		if ident.ValidName(path, name) != nil {
			return bad(path, "%q is not a valid name (lower-case letters, digits, '-', '_', '.')", name)
		}
		if !slices.Contains(ChangeTypes, m.DefaultChangeType) {
			return bad(path+".default_change_type", "must be one of %s, got %q", strings.Join(ChangeTypes, ", "), m.DefaultChangeType)
		}
		for i, c := range m.Checklist {
			if strings.TrimSpace(c) == "" {
				return bad(fmt.Sprintf("%s.checklist[%d]", path, i), "is empty")
			}
		}
		if err := p.validateModelRollout(path, m); err != nil {
			return err
		}
		if err := validateTargets(path+".targets", m.Targets); err != nil {
			return err
		}
	}
	return nil
}

// validatePath checks a rollout path: named stages, weights rising to 100.
func validatePath(path string, stages []Stage) error {
	if len(stages) == 0 {
		return bad(path, "needs at least one stage (e.g. [{name: full, weight: 100}])")
	}
	names := map[string]bool{}
	prev := 0
	for i, s := range stages {
		sp := fmt.Sprintf("%s[%d]", path, i)
		if ident.ValidName(sp, s.Name) != nil {
			return bad(sp+".name", "%q is not a valid stage name", s.Name)
		}
		if names[s.Name] {
			return bad(sp+".name", "stage %q is listed twice", s.Name)
		}
		names[s.Name] = true
		if s.Weight <= prev || s.Weight > 100 {
			return bad(sp+".weight", "must rise from stage to stage within 1..100 (got %d after %d)", s.Weight, prev)
		}
		prev = s.Weight
	}
	if prev != 100 {
		return bad(path, "the last stage must reach weight 100, not %d", prev)
	}
	return nil
}

func (p *Policy) validateObservation() error {
	for _, prio := range sortedKeys(p.ObservationPeriods) {
		d := p.ObservationPeriods[prio]
		path := fmt.Sprintf("observation_periods.%d", prio)
		if prio < 1 || prio > 4 {
			return bad(path, "priorities are 1 (highest) to 4")
		}
		if d < 0 {
			return bad(path, "must not be negative")
		}
		if err := WholeSeconds(path, d); err != nil {
			return err
		}
	}
	return nil
}

func validSwitch(path string, s Switch) error {
	if s.Severity != Fail && s.Severity != Warn {
		return bad(path+".severity", "must be fail or warn, got %q", s.Severity)
	}
	return nil
}

func (p *Policy) validateRules() error {
	r := &p.Gate.Rules
	switches := []struct {
		name string
		s    Switch
	}{{"rca_validated", r.RCAValidated.Switch}, {"problem_state", r.ProblemState.Switch},
		{"open_problems", r.OpenProblems.Switch}, {"component_approval", r.ComponentApproval.Switch},
		{"segregation", r.Segregation}, {"semver", r.Semver.Switch}, {"separation_of_duties", r.SeparationOfDuties},
		{"approvals", r.Approvals}, {"maintenance_window", r.MaintenanceWindow.Switch}, {"canary", r.Canary.Switch},
		{"progression", r.Progression}, {"target_health", r.TargetHealth.Switch},
		{"documentation", r.Documentation.Switch}, {"checklist", r.Checklist}}
	for _, s := range switches {
		if err := validSwitch("gate.rules."+s.name, s.s); err != nil {
			return err
		}
	}
	if !approverRole(r.RCAValidated.ValidatorRole, false) {
		return bad("gate.rules.rca_validated.validator_role", "must be one of %s, got %q", approverRoles(), r.RCAValidated.ValidatorRole)
	}
	if err := subset("gate.rules.problem_state.allowed_statuses", r.ProblemState.AllowedStatuses, problem.Machine.States()); err != nil {
		return err
	}
	if mp := r.OpenProblems.MinPriority; mp < 1 || mp > 4 {
		return bad("gate.rules.open_problems.min_priority", "must be 1..4 (1 is the highest priority), got %d", mp)
	}
	if err := validDocumentation(r.Documentation.Required); err != nil {
		return err
	}
	if ms := r.TargetHealth.MinSeverity; ms < 1 || ms > 4 {
		return bad("gate.rules.target_health.min_severity", "must be 1..4 (1 is the highest severity), got %d", ms)
	}
	if err := subset("gate.rules.component_approval.allowed_statuses", r.ComponentApproval.AllowedStatuses, ci.VersionMachine.States()); err != nil {
		return err
	}
	if err := subset("gate.rules.maintenance_window.tiers", r.MaintenanceWindow.Tiers, environment.Tiers); err != nil {
		return err
	}
	if err := subset("gate.rules.canary.tiers", r.Canary.Tiers, environment.Tiers); err != nil {
		return err
	}
	if !slices.Contains(RiskClasses, r.Canary.MinRiskClass) {
		return bad("gate.rules.canary.min_risk_class", "must be one of %s, got %q", strings.Join(RiskClasses, ", "), r.Canary.MinRiskClass)
	}
	if ident.ValidName("stage_tag", r.Canary.StageTag) != nil {
		return bad("gate.rules.canary.stage_tag", "%q is not a valid stage name or tag", r.Canary.StageTag)
	}
	if p.Gate.CostLimit == 0 {
		p.Gate.CostLimit = DefaultCostLimit
	}
	if p.Gate.CostLimit > MaxCostLimit {
		return bad("gate.cost_limit", "must be at most %d", MaxCostLimit)
	}
	return nil
}

// subset checks that every entry of xs is one of allowed, and that xs is not empty.
func subset(path string, xs, allowed []string) error {
	if len(xs) == 0 {
		return bad(path, "needs at least one of %s", strings.Join(allowed, ", "))
	}
	for i, x := range xs {
		if !slices.Contains(allowed, x) {
			return bad(fmt.Sprintf("%s[%d]", path, i), "must be one of %s, got %q", strings.Join(allowed, ", "), x)
		}
	}
	return nil
}

func (p *Policy) validateCustom() error {
	seen := map[string]bool{}
	for i := range p.Gate.Custom {
		c := &p.Gate.Custom[i]
		path := fmt.Sprintf("gate.custom[%d]", i)
		if ident.ValidName(path, c.Name) != nil {
			return bad(path+".name", "%q is not a valid name (lower-case letters, digits, '-', '_', '.')", c.Name)
		}
		if seen[c.Name] {
			return bad(path+".name", "rule %q is defined twice", c.Name)
		}
		seen[c.Name] = true
		if strings.TrimSpace(c.Expr) == "" {
			return bad(path+".expr", "is required (a CEL expression that must be true)")
		}
		if c.Severity == "" {
			c.Severity = Fail
		}
		if c.Severity != Fail && c.Severity != Warn {
			return bad(path+".severity", "must be fail or warn, got %q", c.Severity)
		}
		if strings.TrimSpace(c.Message) == "" {
			c.Message = "custom rule " + c.Name + " does not hold"
		}
	}
	return nil
}

// Package policy holds fixgate's policy file: the root cause taxonomy, risk
// classification, the approvals each risk class requires, change models,
// observation periods, the parameters of the gate rules, custom CEL rules,
// retention classes, and the rollout settings: paths, drivers, analysis
// templates (with compiled CEL conditions), environments and progression. Parse refuses an invalid file with the line and the
// reason; Default is the built-in policy. A *Policy is immutable after Parse
// and safe for concurrent use. The package does no I/O.
package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"fixgate/internal/problem"
)

// Risk classes, from least to most risky.
const (
	Low      = "low"
	Medium   = "medium"
	High     = "high"
	Critical = "critical"
)

// RiskClasses lists the risk classes in ascending order.
var RiskClasses = []string{Low, Medium, High, Critical}

// RiskRank returns the position of class in RiskClasses (low = 0), -1 if unknown.
func RiskRank(class string) int { return slices.Index(RiskClasses, class) }

// Severities of a failing gate rule.
const (
	Fail = "fail"
	Warn = "warn"
)

// Peer is the approval role any eligible approver satisfies (any role but
// auditor and pipeline).
const Peer = "peer"

// Policy is one parsed policy file.
type Policy struct {
	// Version is the user's own version number of the file.
	Version             int                    `yaml:"version" json:"version"`
	RootCauseCategories []string               `yaml:"root_cause_categories" json:"root_cause_categories"`
	Risk                Risk                   `yaml:"risk" json:"risk"`
	Approvals           Approvals              `yaml:"approvals" json:"approvals"`
	ChangeModels        map[string]ChangeModel `yaml:"change_models" json:"change_models"`
	ObservationPeriods  map[int]Duration       `yaml:"observation_periods" json:"observation_periods"`
	Gate                Gate                   `yaml:"gate" json:"gate"`
	RetentionClasses    map[string]Retention   `yaml:"retention_classes" json:"retention_classes"`
	Retention           RetentionRules         `yaml:"retention" json:"retention"`
	// Rollouts (rollout.go): named paths, drivers, analysis templates,
	// per-environment settings, the progression of environments and the
	// longest watch after 100 %.
	Paths             map[string][]Stage           `yaml:"paths" json:"paths,omitempty"`
	Drivers           map[string]Driver            `yaml:"drivers" json:"drivers,omitempty"`
	AnalysisTemplates map[string]AnalysisTemplate  `yaml:"analysis_templates" json:"analysis_templates,omitempty"`
	Environments      map[string]EnvironmentPolicy `yaml:"environments" json:"environments,omitempty"`
	Progression       []string                     `yaml:"progression" json:"progression,omitempty"`
	WatchMax          Duration                     `yaml:"watch_max" json:"watch_max,omitempty"`
	// OIDC maps single sign-on identities to users and roles (oidc.go); nil: no one signs in that way.
	OIDC *OIDC `yaml:"oidc,omitempty" json:"oidc,omitempty"`
}

// Risk classifies a change: the first rule whose When holds gives the class,
// otherwise Default.
type Risk struct {
	Rules   []RiskRule `yaml:"rules" json:"rules"`
	Default string     `yaml:"default" json:"default"`
}

// RiskRule is a CEL expression over RiskInputs and the class it yields.
type RiskRule struct {
	When  string `yaml:"when" json:"when"`
	Class string `yaml:"class" json:"class"`
	prg   program
}

// Approvals lists the approvals each risk class requires, the extra approval
// a mixed release needs, and who signs off emergency changes.
type Approvals struct {
	Low      []Requirement `yaml:"low" json:"low"`
	Medium   []Requirement `yaml:"medium" json:"medium"`
	High     []Requirement `yaml:"high" json:"high"`
	Critical []Requirement `yaml:"critical" json:"critical"`
	// MixedRelease is the role whose approval a mixed release needs on top of its class.
	MixedRelease string `yaml:"mixed_release" json:"mixed_release"`
	// EmergencySignoff is the role that signs off an emergency change fixing a known problem.
	EmergencySignoff string `yaml:"emergency_signoff" json:"emergency_signoff"`
}

// Requirement is Count distinct approvers acting in Role.
type Requirement struct {
	Role  string `yaml:"role" json:"role"`
	Count int    `yaml:"count" json:"count"`
}

// For returns the requirements of a risk class (nil for an unknown class).
func (a Approvals) For(class string) []Requirement {
	switch class {
	case Low:
		return a.Low
	case Medium:
		return a.Medium
	case High:
		return a.High
	case Critical:
		return a.Critical
	}
	return nil
}

// ChangeModel is a reusable recipe for a kind of fix.
type ChangeModel struct {
	DefaultChangeType string   `yaml:"default_change_type" json:"default_change_type"`
	Description       string   `yaml:"description" json:"description"`
	Checklist         []string `yaml:"checklist" json:"checklist"`
	RolloutPath       []Stage  `yaml:"rollout_path" json:"rollout_path"`
	HealthChecks      []string `yaml:"health_checks" json:"health_checks"`
	// Watch is how long a deployment is watched after 100 % (0: the
	// observation period of the highest-priority resolved problem).
	Watch Duration `yaml:"watch" json:"watch,omitempty"`
	// Targets are the success criteria of fixes of this model (targets.go).
	Targets Targets `yaml:"targets,omitempty" json:"targets,omitempty"`
}

// Stage is one step of a rollout path: Weight percent of traffic, analysed
// for Duration (0: until `deploy promote`) with the analysis templates named
// in Analysis (on top of the change model's health_checks).
type Stage struct {
	Name     string   `yaml:"name" json:"name"`
	Weight   int      `yaml:"weight" json:"weight"`
	Duration Duration `yaml:"duration" json:"duration,omitempty"`
	Analysis []string `yaml:"analysis" json:"analysis,omitempty"`
}

// Retention is how long artifacts of a retention class are kept.
type Retention struct {
	Keep        Keep   `yaml:"keep" json:"keep"`
	Description string `yaml:"description" json:"description"`
}

// Gate holds the built-in rules' parameters and the custom rules.
type Gate struct {
	Rules  Rules        `yaml:"rules" json:"rules"`
	Custom []CustomRule `yaml:"custom" json:"custom"`
	// CostLimit bounds the CEL cost of one custom or risk rule evaluation.
	CostLimit uint64 `yaml:"cost_limit" json:"cost_limit"`
}

// Switch is what every built-in rule has: whether it runs, and whether a
// failure blocks (fail) or only warns (warn).
type Switch struct {
	Enabled  bool   `yaml:"enabled" json:"enabled"`
	Severity string `yaml:"severity" json:"severity"`
}

// Rules are the parameters of the built-in gate rules, by rule name.
type Rules struct {
	RCAValidated       RCAValidated      `yaml:"rca_validated" json:"rca_validated"`
	ProblemState       ProblemState      `yaml:"problem_state" json:"problem_state"`
	OpenProblems       OpenProblems      `yaml:"open_problems" json:"open_problems"`
	ComponentApproval  ComponentApproval `yaml:"component_approval" json:"component_approval"`
	Segregation        Switch            `yaml:"segregation" json:"segregation"`
	Semver             SemverRule        `yaml:"semver" json:"semver"`
	SeparationOfDuties Switch            `yaml:"separation_of_duties" json:"separation_of_duties"`
	Approvals          Switch            `yaml:"approvals" json:"approvals"`
	MaintenanceWindow  MaintenanceWindow `yaml:"maintenance_window" json:"maintenance_window"`
	Canary             Canary            `yaml:"canary" json:"canary"`
	Progression        Switch            `yaml:"progression" json:"progression"`
	TargetHealth       TargetHealth      `yaml:"target_health" json:"target_health"`
	Documentation      Documentation     `yaml:"documentation" json:"documentation"`
	// Checklist (rule 15): every item of the change model's checklist that
	// applies to the change is ticked.
	Checklist Switch `yaml:"checklist" json:"checklist"`
}

// Documentation (rule 13): the documents a release of each risk class must
// carry, as artifact kinds (release.ArtifactKinds): e.g. critical: [rca,
// test_report, rollback_plan]. A class the map leaves out requires nothing,
// so the built-in policy (an empty map) requires nothing of anyone.
type Documentation struct {
	Switch   `yaml:",inline"`
	Required map[string][]string `yaml:"required" json:"required"`
}

// TargetHealth (rule 12): no firing alert and no open incident of severity
// MinSeverity or higher (1 is highest) on the target environment for the
// release's CIs and the CIs they depend on.
type TargetHealth struct {
	Switch      `yaml:",inline"`
	MinSeverity int `yaml:"min_severity" json:"min_severity"`
}

// RCAValidated (rule 1): the role that must have validated each root cause.
type RCAValidated struct {
	Switch        `yaml:",inline"`
	ValidatorRole string `yaml:"validator_role" json:"validator_role"`
}

// ProblemState (rule 2): the problem states that allow deploying a fix.
type ProblemState struct {
	Switch          `yaml:",inline"`
	AllowedStatuses []string `yaml:"allowed_statuses" json:"allowed_statuses"`
}

// OpenProblems (rule 3): open problems of priority MinPriority or higher
// (1 is highest) attached to the target block the release.
type OpenProblems struct {
	Switch      `yaml:",inline"`
	MinPriority int `yaml:"min_priority" json:"min_priority"`
}

// ComponentApproval (rule 4): the component version statuses a release may ship.
type ComponentApproval struct {
	Switch          `yaml:",inline"`
	AllowedStatuses []string `yaml:"allowed_statuses" json:"allowed_statuses"`
}

// SemverRule (rule 6): a problem-fix must be a patch bump over what is live
// (RequirePatchBump), or at least an upgrade when false.
type SemverRule struct {
	Switch           `yaml:",inline"`
	RequirePatchBump bool `yaml:"require_patch_bump" json:"require_patch_bump"`
}

// MaintenanceWindow (rule 9): which environment tiers must deploy inside a
// window; freezes apply to every tier.
type MaintenanceWindow struct {
	Switch `yaml:",inline"`
	Tiers  []string `yaml:"tiers" json:"tiers"`
}

// Canary (rule 10): fixes of MinRiskClass or above to an environment of one
// of Tiers must start with a stage named (or tagged) StageTag.
type Canary struct {
	Switch       `yaml:",inline"`
	MinRiskClass string   `yaml:"min_risk_class" json:"min_risk_class"`
	StageTag     string   `yaml:"stage_tag" json:"stage_tag"`
	Tiers        []string `yaml:"tiers" json:"tiers"`
}

// CustomRule is a CEL expression over the gate input document that must hold.
type CustomRule struct {
	Name     string `yaml:"name" json:"name"`
	Expr     string `yaml:"expr" json:"expr"`
	Message  string `yaml:"message" json:"message"`
	Severity string `yaml:"severity" json:"severity"`
	prg      program
}

// Observation returns the observation period for a problem priority (1–4),
// falling back to problem.DefaultObservation.
func (p *Policy) Observation(priority int) time.Duration {
	if d, ok := p.ObservationPeriods[priority]; ok {
		return time.Duration(d)
	}
	return problem.DefaultObservation[priority]
}

// Hash returns "sha256:<hex>" of the policy's canonical form (its JSON
// encoding, keys sorted), so a verdict can record which policy it used.
// Two files that differ only in comments or key order hash the same.
func (p *Policy) Hash() string {
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: every field is a plain value
		panic("policy: hash: " + err.Error())
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Default returns the built-in policy, used when no file is given and as the
// base every file overrides.
func Default() *Policy {
	p := &Policy{
		Version:             0,
		RootCauseCategories: slices.Clone(problem.DefaultCategories),
		Risk: Risk{Default: Low, Rules: []RiskRule{
			{When: "problem_priority == 1 && env_tier == 'production'", Class: Critical},
			{When: "ci_criticality == 'critical' && env_tier == 'production'", Class: Critical},
			{When: "change_type == 'emergency'", Class: High},
			{When: "env_tier == 'production' && (problem_priority <= 2 || ci_criticality == 'high' || release_size > 5)", Class: High},
			{When: "env_tier == 'production' || ci_criticality == 'critical'", Class: Medium},
		}},
		Approvals: Approvals{
			Low:              []Requirement{{Role: Peer, Count: 1}},
			Medium:           []Requirement{{Role: Peer, Count: 2}},
			High:             []Requirement{{Role: "cab_member", Count: 1}},
			Critical:         []Requirement{{Role: "cab_member", Count: 1}, {Role: "problem_manager", Count: 1}},
			MixedRelease:     "release_manager",
			EmergencySignoff: "problem_manager",
		},
		ChangeModels:       defaultChangeModels(),
		AnalysisTemplates:  defaultTemplates(),
		WatchMax:           Duration(DefaultWatchMax),
		ObservationPeriods: map[int]Duration{},
		Gate: Gate{CostLimit: DefaultCostLimit, Custom: []CustomRule{}, Rules: Rules{
			RCAValidated:       RCAValidated{Switch: on(), ValidatorRole: "problem_manager"},
			ProblemState:       ProblemState{Switch: on(), AllowedStatuses: []string{problem.FixInProgress}},
			OpenProblems:       OpenProblems{Switch: on(), MinPriority: 2},
			ComponentApproval:  ComponentApproval{Switch: on(), AllowedStatuses: []string{"approved"}},
			Segregation:        on(),
			Semver:             SemverRule{Switch: on(), RequirePatchBump: true},
			SeparationOfDuties: on(),
			Approvals:          on(),
			MaintenanceWindow:  MaintenanceWindow{Switch: on(), Tiers: []string{"production"}},
			Canary:             Canary{Switch: on(), MinRiskClass: High, StageTag: "canary", Tiers: []string{"production"}},
			Progression:        on(),
			TargetHealth:       TargetHealth{Switch: on(), MinSeverity: 2},
			Documentation:      Documentation{Switch: on(), Required: map[string][]string{}},
			Checklist:          on(),
		}},
		RetentionClasses: map[string]Retention{
			"ephemeral": {Keep: Keep(30 * day), Description: "build logs and scratch artifacts"},
			"standard":  {Keep: Keep(365 * day), Description: "packages, SBOMs and release notes"},
			"regulated": {Keep: Keep(7 * 365 * day), Description: "RCA documents and evidence kept for audits; critical fixes"},
			"permanent": {Keep: Forever, Description: "kept until deleted by hand"},
		},
		Retention: RetentionRules{DefaultClass: "standard", CriticalFixClass: "regulated"},
	}
	for prio, d := range problem.DefaultObservation {
		p.ObservationPeriods[prio] = Duration(d)
	}
	if err := p.compile(nil); err != nil { // the built-in policy is valid by construction
		panic("policy: default: " + err.Error())
	}
	return p
}

func on() Switch { return Switch{Enabled: true, Severity: Fail} }

func defaultChangeModels() map[string]ChangeModel {
	canary := []Stage{{Name: "canary", Weight: 10}, {Name: "half", Weight: 50}, {Name: "full", Weight: 100}}
	return map[string]ChangeModel{
		"memory-leak-patch": {DefaultChangeType: "normal", Description: "fix for a leak found by problem analysis",
			Checklist:    []string{"heap profile before/after attached", "soak test of at least 24h passed"},
			RolloutPath:  canary,
			HealthChecks: []string{"recurrence", "incidents"}},
		"config-correction": {DefaultChangeType: "standard", Description: "correction of a wrong configuration value",
			Checklist:    []string{"diff of the configuration attached", "rollback value recorded"},
			RolloutPath:  []Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}},
			HealthChecks: []string{"recurrence", "incidents"}},
		"dependency-upgrade": {DefaultChangeType: "normal", Description: "upgrade of a library or service dependency",
			Checklist:    []string{"changelog of the dependency reviewed", "SBOM regenerated"},
			RolloutPath:  canary,
			HealthChecks: []string{"recurrence", "incidents"}},
		"security-patch": {DefaultChangeType: "emergency", Description: "fix for a vulnerability",
			Checklist:    []string{"CVE referenced", "security team informed"},
			RolloutPath:  canary,
			HealthChecks: []string{"recurrence", "incidents"}},
	}
}

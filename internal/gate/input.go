// Package gate evaluates a release against the policy for one environment
// and explains the answer: one result per rule, with a reason a release
// manager understands and the records involved. Evaluate is pure: the caller
// (store, API, `fixgate policy test`) gathers the Input document; the same
// document, as JSON, is what custom CEL rules see. docs/policy.md documents it.
package gate

import (
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// Input is everything a gate evaluation looks at.
type Input struct {
	Release Release `json:"release"`
	// Problems are the problems the release resolves (every id of release.resolves).
	Problems []Problem `json:"problems"`
	// Components are the release's component versions with their dependencies.
	Components []Component `json:"components"`
	// Catalogue lists the versions available per CI, to resolve transitive
	// dependencies (the release's own components win over the catalogue).
	Catalogue map[string][]Component `json:"catalogue"`
	// OpenProblems are problems attached to the environment or to CIs
	// (the release's, and those depending on them); closed ones are ignored.
	OpenProblems []Problem `json:"open_problems"`
	// CIs is the CI graph: each CI with its criticality and what it depends on.
	CIs         []CI                    `json:"cis"`
	Environment environment.Environment `json:"environment"`
	// Live maps a CI to the version live in the environment.
	Live map[string]string `json:"live"`
	// Approvals are the decisions on the release and on its change.
	Approvals []Approval `json:"approvals"`
	// Revisions maps a record id (REL-n, CHG-n) to its current revision.
	Revisions map[string]int64 `json:"revisions"`
	Change    *Change          `json:"change,omitempty"`
	// Path is the planned deployment path.
	Path []Stage `json:"path"`
	// At is the planned deployment time; now when absent.
	At *time.Time `json:"at,omitempty"`
	// risk memoises the risk class during one Evaluate (three rules and
	// the verdict need it); nil outside Evaluate.
	risk *riskMemo
	// ciIndex is CIs numbered for the graph walks of one Evaluate
	// (Input.graph); semvers the versions and constraints it parsed.
	ciIndex *ciGraph
	semvers *semvers
	// Authors are people who may not approve (release team members, …);
	// the gate adds the release creator, change requester, RCA authors and resolvers.
	Authors []Author `json:"authors"`
	// Deployments are the release's deployments, at most one per
	// environment: the newest that counts for progression (succeeded or
	// verified), else the newest (rule progression).
	Deployments []Deployment `json:"deployments"`
	// FiringAlerts are the alerts still firing on the target environment for
	// the release's CIs and the CIs they depend on (rule target_health).
	FiringAlerts []Alert `json:"firing_alerts"`
	// OpenIncidents are the open incidents on the target environment for
	// the release's CIs and the CIs they depend on (rule target_health).
	OpenIncidents []Incident `json:"open_incidents"`
}

// Release is the release under evaluation.
type Release struct {
	ID         string   `json:"id"`
	Version    string   `json:"version"`
	Type       string   `json:"type"`
	Creator    string   `json:"creator"`
	Components []string `json:"components"` // CI@VERSION
	Resolves   []string `json:"resolves"`   // PRB-n
	Revision   int64    `json:"revision"`
	// Content is the release's fingerprint (release.Release.Fingerprint):
	// approvals of the same content count whatever the revision.
	Content string `json:"content,omitempty"`
	// Documents are the artifacts attached to the release (rule documentation).
	Documents []Document `json:"documents"`
}

// Document is an artifact attached to a release: its kind
// (release.ArtifactKinds), file name and content hash.
type Document struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Problem is a problem as the gate sees it.
type Problem struct {
	ID           string   `json:"id"`
	Title        string   `json:"title,omitempty"`
	Status       string   `json:"status"`
	Priority     int      `json:"priority"`
	CIs          []string `json:"cis"`
	Environments []string `json:"environments"`
	RCA          RCA      `json:"rca"`
	ResolvedBy   string   `json:"resolved_by,omitempty"`
	// ResolvedByRelease is the release (REL-n) whose production deployment
	// resolved the problem, while it is resolved or closed; absent when a
	// person resolved it (a deviation) or it is not resolved. ResolvedBy is
	// the person who did, for separation of duties.
	ResolvedByRelease string `json:"resolved_by_release,omitempty"`
}

// RCA is a problem's current root cause analysis and who validated it in which role.
type RCA struct {
	Category      string `json:"category"`
	Author        string `json:"author"`
	ValidatedBy   string `json:"validated_by"`
	ValidatedRole string `json:"validated_role"`
	// Document is the SHA-256 of the RCA document, "" when none was recorded.
	Document string `json:"document,omitempty"`
}

// Component is a component version.
type Component struct {
	ID           string          `json:"id,omitempty"`
	CI           string          `json:"ci"`
	Version      string          `json:"version"`
	Status       string          `json:"status"`
	Dependencies []ci.Dependency `json:"dependencies"`
}

// Ref returns "ci@version".
func (c Component) Ref() string { return c.CI + "@" + c.Version }

// CI is a node of the CI graph.
type CI struct {
	Name        string   `json:"name"`
	Criticality string   `json:"criticality"`
	DependsOn   []string `json:"depends_on"`
}

// Decisions of an approval.
const (
	Approve = "approve"
	Reject  = "reject"
)

// Approval is one decision on a record at one of its revisions.
type Approval struct {
	ID       string `json:"id,omitempty"`
	Record   string `json:"record"` // REL-n or CHG-n
	Revision int64  `json:"revision"`
	Approver string `json:"approver"`
	// Role is the role the approver acted in; Roles all roles they hold.
	Role     string   `json:"role"`
	Roles    []string `json:"roles"`
	Decision string   `json:"decision"`
	// Content is the fingerprint of what was approved ("" for decisions
	// recorded before fingerprints: they bind to Revision).
	Content string `json:"content,omitempty"`
}

// Change is the change record that authorises the deployment.
type Change struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"` // standard, normal, emergency
	Model        string        `json:"model,omitempty"`
	Requester    string        `json:"requester"`
	RiskOverride *RiskOverride `json:"risk_override,omitempty"`
	Deviations   []Deviation   `json:"deviations"`
	Revision     int64         `json:"revision"`
	// Content is the change's fingerprint (change.Change.Fingerprint).
	Content string `json:"content,omitempty"`
	// Checklist holds the items of the change model that apply to the
	// change, each ticked or not; ChecklistFrozenAt is when the list was
	// frozen (the change was approved), absent while the model's current
	// list applies (rule checklist, rules_checklist.go).
	Checklist         []ChecklistItem `json:"checklist"`
	ChecklistFrozenAt *time.Time      `json:"checklist_frozen_at,omitempty"`
}

// RiskOverride replaces the computed risk class; it needs a justification.
type RiskOverride struct {
	Class         string `json:"class"`
	Justification string `json:"justification"`
	By            string `json:"by"`
}

// Deviation records a standard step that was skipped: which rule, why, who
// approved it, and optionally the period it covers.
type Deviation struct {
	ID         string     `json:"id,omitempty"`
	Rule       string     `json:"rule"` // a gate rule name, e.g. maintenance_window
	Step       string     `json:"step,omitempty"`
	Reason     string     `json:"reason"`
	ApprovedBy string     `json:"approved_by"`
	From       *time.Time `json:"from,omitempty"`
	To         *time.Time `json:"to,omitempty"`
}

// Covers reports whether the deviation is approved and applies to rule at t.
func (d Deviation) Covers(rule string, t time.Time) bool {
	if d.Rule != rule || d.ApprovedBy == "" || d.Reason == "" {
		return false
	}
	return (d.From == nil || !t.Before(*d.From)) && (d.To == nil || t.Before(*d.To))
}

// Stage is one stage of the planned deployment path.
type Stage struct {
	Name        string   `json:"name"`
	Environment string   `json:"environment,omitempty"`
	Weight      int      `json:"weight"`
	Tags        []string `json:"tags,omitempty"`
}

// Deployment is one deployment of the release, as rule progression sees it.
type Deployment struct {
	ID          string     `json:"id"` // DEP-n
	Environment string     `json:"environment"`
	Status      string     `json:"status"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
}

// Alert is an alert still firing: the newest signal of its fingerprint is
// firing and the incident it opened or joined, if any, is still open.
type Alert struct {
	Signal      int64     `json:"signal"` // the signal's id (fixgate signal list)
	Name        string    `json:"name"`   // the alertname label
	Fingerprint string    `json:"fingerprint"`
	Environment string    `json:"environment"`
	CI          string    `json:"ci"`
	Severity    int       `json:"severity"` // 1 (highest) to 4, from the severity label
	StartsAt    time.Time `json:"starts_at"`
	Incident    string    `json:"incident,omitempty"` // INC-n it opened or joined
	Problem     string    `json:"problem,omitempty"`  // PRB-n whose signature it matched
}

// Incident is an open incident.
type Incident struct {
	ID          string    `json:"id"` // INC-n
	Title       string    `json:"title"`
	Environment string    `json:"environment"`
	CI          string    `json:"ci"`
	Severity    int       `json:"severity"` // 1 (highest) to 4
	Source      string    `json:"source"`
	OpenedAt    time.Time `json:"opened_at"`
	Problem     string    `json:"problem,omitempty"` // PRB-n it is linked to
}

// Author is a person with a part in the fix, and that part.
type Author struct {
	User string `json:"user"`
	As   string `json:"as"` // release creator, change requester, RCA author of PRB-3, resolver of PRB-3, …
}

// FromRelease builds the gate's view of a release record.
func FromRelease(r release.Release) Release {
	docs := make([]Document, len(r.Artifacts))
	for i, a := range r.Artifacts {
		docs[i] = Document{Kind: a.Kind, Name: a.Name, SHA256: a.SHA256}
	}
	return Release{ID: r.ID, Version: r.Version, Type: r.Type, Creator: r.CreatedBy,
		Components: r.Components, Resolves: r.Resolves, Revision: r.Revision, Content: r.Fingerprint(), Documents: docs}
}

// FromProblem builds the gate's view of a problem; validatedRole is the role
// the validator held when validating (problem records do not carry it).
func FromProblem(p problem.Problem, validatedRole string) Problem {
	out := Problem{ID: p.ID, Title: p.Title, Status: p.Status, Priority: p.Priority, CIs: p.CIs,
		Environments: p.Environments, ResolvedBy: p.ResolvedBy,
		RCA: RCA{Category: p.RCA.Category, Author: p.RCA.Author, Document: p.RCA.DocSHA256}}
	if p.RCA.Validated() {
		out.RCA.ValidatedBy, out.RCA.ValidatedRole = p.RCA.ValidatedBy, validatedRole
	}
	return out
}

// FromVersion builds the gate's view of a component version.
func FromVersion(v ci.Version) Component {
	return Component{ID: v.ID, CI: v.CI, Version: v.Version, Status: v.Status, Dependencies: v.Dependencies}
}

// FromCI builds the gate's view of a CI.
func FromCI(c ci.CI) CI { return CI{Name: c.Name, Criticality: c.Criticality, DependsOn: c.DependsOn} }

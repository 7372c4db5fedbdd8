// Package problem holds the problem record, its lifecycle and the rules that
// govern it. It does no I/O.
package problem

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
)

// Status values of a problem.
const (
	New           = "new"
	Assess        = "assess"
	RCA           = "rca"
	FixInProgress = "fix_in_progress"
	Resolved      = "resolved"
	Closed        = "closed"
	Canceled      = "canceled"
)

// Machine is the problem lifecycle. resolved → fix_in_progress is a
// recurrence; fix_in_progress → rca sends a fix that proved wrong back to analysis.
var Machine = lifecycle.Machine{Record: "problem", Moves: map[string][]string{
	New:           {Assess, Canceled},
	Assess:        {RCA, Canceled},
	RCA:           {FixInProgress, Assess, Canceled},
	FixInProgress: {Resolved, RCA, Canceled},
	Resolved:      {Closed, FixInProgress},
	Closed:        nil,
	Canceled:      nil,
}}

// DefaultCategories is the root cause taxonomy used until a policy names its own:
// the one list a problem's root cause and a review's finding tags (why a fix
// failed: testing_gap, environment_inconsistency …) pick from.
var DefaultCategories = []string{"code_defect", "configuration_error", "capacity", "third_party_dependency",
	"infrastructure", "data", "process_human_error", "security", "testing_gap", "environment_inconsistency", "unknown"}

// DefaultObservation is the observation period by priority (1 = highest)
// used until a policy sets its own.
var DefaultObservation = map[int]time.Duration{1: 30 * 24 * time.Hour, 2: 14 * 24 * time.Hour, 3: 7 * 24 * time.Hour, 4: 3 * 24 * time.Hour}

// Problem is one problem record.
type Problem struct {
	ID               string     `json:"id"`
	Title            string     `json:"title"`
	Description      string     `json:"description"`
	Status           string     `json:"status"`
	Priority         int        `json:"priority"`
	Owner            string     `json:"owner"`
	CIs              []string   `json:"cis"`
	Environments     []string   `json:"environments"`
	RCA              RCARecord  `json:"rca"`
	Workaround       string     `json:"workaround"`
	ResolvedBy       string     `json:"resolved_by,omitempty"`
	ResolvedAt       *time.Time `json:"resolved_at,omitempty"`
	ObservationUntil *time.Time `json:"observation_until,omitempty"`
	RecurrenceCount  int        `json:"recurrence_count"`
	ClosedAt         *time.Time `json:"closed_at,omitempty"`
	Revision         int64      `json:"revision"`
	CreatedBy        string     `json:"created_by"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// RCARecord is the problem's current root cause analysis.
type RCARecord struct {
	Category    string     `json:"category"`
	Summary     string     `json:"summary"`
	DocSHA256   string     `json:"doc_sha256,omitempty"`
	Author      string     `json:"author,omitempty"`
	RecordedAt  *time.Time `json:"recorded_at,omitempty"`
	ValidatedBy string     `json:"validated_by,omitempty"`
	ValidatedAt *time.Time `json:"validated_at,omitempty"`
}

// Validated reports whether the current RCA has been validated.
func (r RCARecord) Validated() bool { return r.ValidatedBy != "" && r.ValidatedAt != nil }

// Validate checks the fields a person sets. Returns an Invalid error naming the field.
func (p *Problem) Validate() error {
	p.Title = strings.TrimSpace(p.Title)
	if p.Title == "" {
		return fault.Field("title", "is required")
	}
	if len(p.Title) > 200 {
		return fault.Field("title", "is longer than 200 characters")
	}
	if p.Priority < 1 || p.Priority > 4 {
		return fault.Field("priority", "must be 1 (highest) to 4, got %d", p.Priority)
	}
	for i, ci := range p.CIs {
		if err := ident.ValidName("cis", ci); err != nil {
			return fault.Field("cis", "entry %d: %v", i, fault.As(err).Message)
		}
	}
	for i, e := range p.Environments {
		if err := ident.ValidName("environments", e); err != nil {
			return fault.Field("environments", "entry %d: %v", i, fault.As(err).Message)
		}
	}
	p.CIs = dedupe(p.CIs)
	p.Environments = dedupe(p.Environments)
	return nil
}

func dedupe(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Open reports whether the problem still needs work (not resolved, closed or canceled).
func (p *Problem) Open() bool {
	return p.Status != Resolved && p.Status != Closed && p.Status != Canceled
}

// Move applies a lifecycle move made by user at now; observation is
// unused (moves into resolved go through Resolve) and stays for callers.
// fix_in_progress needs a validated RCA; resolved → fix_in_progress is a
// recurrence: it counts, stops the observation period and withdraws the
// RCA's validation (the analysis or the fix was wrong; the RCA is kept).
// Returns Conflict for an illegal move and PreconditionFailed when a guard
// of the target state is unmet (the message says which).
func (p *Problem) Move(to, user string, now time.Time, observation time.Duration) error {
	if err := Machine.Check(p.Status, to); err != nil {
		return err
	}
	switch to {
	case FixInProgress:
		if p.Status == RCA && (p.RCA.Summary == "" || p.RCA.Category == "") {
			return fault.New(fault.PreconditionFailed, "record a root cause analysis (category and summary) before starting the fix")
		}
		if p.Status == RCA && !p.RCA.Validated() {
			return fault.New(fault.PreconditionFailed,
				"the root cause analysis of %s is not validated: a problem_manager other than its author validates it before the fix starts", p.ID)
		}
		if p.Status == Resolved {
			p.RecurrenceCount++
			p.ObservationUntil = nil
			p.RCA.ValidatedBy, p.RCA.ValidatedAt = "", nil
		}
	case Resolved:
		return fault.New(fault.PreconditionFailed, "a problem is resolved by a problem-fix release that succeeded in production, "+
			"or by hand with a deviation approved by another problem_manager (POST /api/v1/problems/{id}/transitions with \"deviation\")")
	case Closed:
		return fault.New(fault.PreconditionFailed,
			"closing checks the closure conditions: use `fixgate problem close` (POST /api/v1/problems/{id}/close)")
	}
	p.Status = to
	return nil
}

// Close moves a resolved problem to closed. It is the only way to closed:
// the caller (store.CloseProblem) has checked the conditions that need
// other records (a completed PIR, an independent confirmation, no
// recurrence). Returns Conflict for an illegal move and PreconditionFailed
// while the observation period runs.
func (p *Problem) Close(now time.Time) error {
	if err := Machine.Check(p.Status, Closed); err != nil {
		return err
	}
	if p.ObservationUntil != nil && now.Before(*p.ObservationUntil) {
		return fault.New(fault.PreconditionFailed, "observation period runs until %s; the problem cannot close before it ends",
			p.ObservationUntil.UTC().Format(time.RFC3339))
	}
	p.ClosedAt = &now
	p.Status = Closed
	return nil
}

// RecordRCA sets a new root cause analysis. A new RCA needs validation
// again. Returns Invalid if the category is not in categories or the summary is empty.
func (p *Problem) RecordRCA(category, summary, docSHA, author string, now time.Time, categories []string) error {
	if !slices.Contains(categories, category) {
		return fault.Field("category", "unknown root cause category %q (categories: %s)", category, strings.Join(categories, ", "))
	}
	summary = strings.TrimSpace(summary)
	if summary == "" {
		return fault.Field("summary", "is required")
	}
	if p.Status == Closed || p.Status == Canceled {
		return fault.Conflictf("problem is %s; its root cause analysis can no longer change", p.Status)
	}
	p.RCA = RCARecord{Category: category, Summary: summary, DocSHA256: docSHA, Author: author, RecordedAt: &now}
	return nil
}

// ValidateRCA records that validator confirmed the current root cause
// analysis. Returns PreconditionFailed when there is no RCA and Forbidden
// when the validator wrote it: nobody validates their own analysis.
func (p *Problem) ValidateRCA(validator string, now time.Time) error {
	if p.RCA.Summary == "" || p.RCA.RecordedAt == nil {
		return fault.New(fault.PreconditionFailed, "problem %s has no root cause analysis to validate", p.ID)
	}
	if p.RCA.Author == validator {
		return fault.Refused("separation_of_duties", "%s wrote this root cause analysis and cannot validate it (separation of duties)", validator)
	}
	if p.Status == Closed || p.Status == Canceled {
		return fault.Conflictf("problem is %s; its root cause analysis can no longer be validated", p.Status)
	}
	p.RCA.ValidatedBy, p.RCA.ValidatedAt = validator, &now
	return nil
}

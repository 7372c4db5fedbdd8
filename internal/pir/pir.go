// Package pir holds the post-implementation review: was the root cause of
// a problem eliminated by its fix, the KPIs before and after, findings, and
// the checklist items it adds for similar future fixes. It does no I/O.
package pir

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
)

// Status values of a PIR.
const (
	Draft     = "draft"
	Completed = "completed"
)

// Machine is the PIR lifecycle. A completed review is a record: it is final.
var Machine = lifecycle.Machine{Record: "post-implementation review", Moves: map[string][]string{
	Draft:     {Completed},
	Completed: nil,
}}

// Limits.
const (
	MaxFindings  = 50000
	MaxKPIs      = 64
	MaxChecklist = 100
	MaxItem      = 500
)

// PIR is one post-implementation review.
type PIR struct {
	ID                  string             `json:"id"`
	Problem             string             `json:"problem"`           // PRB-n, required
	Release             string             `json:"release,omitempty"` // REL-n
	Status              string             `json:"status"`
	RootCauseEliminated *bool              `json:"root_cause_eliminated"`
	KPIs                map[string]float64 `json:"kpis"` // e.g. incidents_before, incident_rate_after
	Findings            string             `json:"findings"`
	FindingTags         []string           `json:"finding_tags"` // root cause categories of the policy (SetFindingTags)
	Checklist           []string           `json:"checklist"`
	// Targets is the evaluation of the fix's success criteria stored with
	// the computed KPIs (nil when the change model of the fix states none,
	// or the problem has no resolution to measure around). Set by the
	// store only, never by a person.
	Targets     *Evaluation `json:"targets,omitempty"`
	CompletedBy string      `json:"completed_by,omitempty"`
	CompletedAt *time.Time  `json:"completed_at,omitempty"`
	Revision    int64       `json:"revision"`
	CreatedBy   string      `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Validate checks and normalises the fields a person sets. Returns an
// Invalid error naming the field (kpis.NAME, checklist[i] for entries).
func (p *PIR) Validate() error {
	if p.Problem == "" {
		return fault.Field("problem", "is required")
	}
	n, err := ident.Problem.Parse("problem", p.Problem)
	if err != nil {
		return err
	}
	p.Problem = ident.Problem.Format(n)
	if p.Release != "" {
		n, err := ident.Release.Parse("release", p.Release)
		if err != nil {
			return err
		}
		p.Release = ident.Release.Format(n)
	}
	p.Findings = strings.TrimSpace(p.Findings)
	if len(p.Findings) > MaxFindings || !utf8.ValidString(p.Findings) {
		return fault.Field("findings", "must be valid text of at most %d bytes", MaxFindings)
	}
	if err := p.validateKPIs(); err != nil {
		return err
	}
	if p.FindingTags, err = normTags(p.FindingTags); err != nil {
		return err
	}
	return p.validateChecklist()
}

func (p *PIR) validateKPIs() error {
	if len(p.KPIs) > MaxKPIs {
		return fault.Field("kpis", "at most %d KPIs, got %d", MaxKPIs, len(p.KPIs))
	}
	if p.KPIs == nil {
		p.KPIs = map[string]float64{}
	}
	for k, v := range p.KPIs {
		if !kpiName(k) {
			return fault.Field("kpis", "KPI name %q must be lower-case letters, digits and '_' (e.g. incidents_before)", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fault.Field("kpis."+k, "must be a finite number")
		}
	}
	return nil
}

func kpiName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *PIR) validateChecklist() error {
	if len(p.Checklist) > MaxChecklist {
		return fault.Field("checklist", "at most %d items, got %d", MaxChecklist, len(p.Checklist))
	}
	out := make([]string, 0, len(p.Checklist))
	for i, it := range p.Checklist {
		it = strings.TrimSpace(it)
		if it == "" || len(it) > MaxItem || !utf8.ValidString(it) || strings.ContainsAny(it, "\r\n") {
			return fault.Field("checklist", "item %d must be one line of 1 to %d bytes", i, MaxItem)
		}
		out = append(out, it)
	}
	p.Checklist = out
	return nil
}

// Editable returns Conflict unless the review is still a draft.
func (p *PIR) Editable() error {
	if p.Status != Draft {
		return fault.Conflictf("post-implementation review %s is %s; a completed review is a record and does not change", p.ID, p.Status)
	}
	return nil
}

// Move applies a lifecycle move by user at now. Completing needs the
// verdict (root_cause_eliminated) and the findings. Returns Conflict for an
// illegal move and PreconditionFailed naming what is missing.
func (p *PIR) Move(to, user string, now time.Time) error {
	if err := Machine.Check(p.Status, to); err != nil {
		return err
	}
	if to == Completed {
		var missing []string
		if p.RootCauseEliminated == nil {
			missing = append(missing, "root_cause_eliminated")
		}
		if p.Findings == "" {
			missing = append(missing, "findings")
		}
		if len(missing) > 0 {
			return &fault.Error{Code: fault.PreconditionFailed, Field: missing[0],
				Message: "set " + strings.Join(missing, " and ") + " before completing the review"}
		}
		p.CompletedBy, p.CompletedAt = user, &now
	}
	p.Status = to
	return nil
}

// Package cab holds the Change Advisory Board meeting record and its pure
// rules: its lifecycle (scheduled → held → closed, or scheduled →
// canceled), which changes its agenda holds (by the policy: changes waiting
// for authorisation whose risk class requires a CAB approval) and whether
// the meeting may approve a problem fix (a problem_manager attends). No I/O.
package cab

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// Meeting ids are CAB-n.
var Meeting = ident.Kind{Prefix: "CAB", Name: "CAB meeting"}

// MaxAttendees bounds a meeting's attendee list.
const MaxAttendees = 50

// CABRole is the role whose approval the policy's approval requirements
// name for a CAB decision.
const CABRole = string(auth.CABMember)

// Record is one CAB meeting.
type Record struct {
	ID          string    `json:"id"` // CAB-n
	Title       string    `json:"title"`
	ScheduledAt time.Time `json:"scheduled_at"`
	Attendees   []string  `json:"attendees"` // user names
	Status      string    `json:"status"`
	// HeldAt is when the meeting was recorded as held; CanceledAt and
	// CancelReason say when and why it was canceled; ClosedAt and Minutes
	// when its minutes were done and where they are (a summary or a link).
	HeldAt       *time.Time `json:"held_at,omitempty"`
	CanceledAt   *time.Time `json:"canceled_at,omitempty"`
	CancelReason string     `json:"cancel_reason,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	Minutes      string     `json:"minutes,omitempty"`
	CreatedBy    string     `json:"created_by"`
	Revision     int64      `json:"revision"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

// Validate checks the fields a person sets and normalises them (attendees
// sorted, unique). Returns Invalid naming the field.
func (m *Record) Validate() error {
	m.Title = strings.TrimSpace(m.Title)
	if m.Title == "" {
		return fault.Field("title", "is required")
	}
	if len(m.Title) > 200 {
		return fault.Field("title", "is longer than 200 characters")
	}
	if m.ScheduledAt.IsZero() {
		return fault.Field("scheduled_at", "is required (RFC 3339 with a zone)")
	}
	if len(m.Attendees) == 0 {
		return fault.Field("attendees", "list at least one attendee")
	}
	if len(m.Attendees) > MaxAttendees {
		return fault.Field("attendees", "has %d names; at most %d", len(m.Attendees), MaxAttendees)
	}
	for _, a := range m.Attendees {
		if err := ident.ValidName("attendees", a); err != nil {
			return err
		}
	}
	m.Attendees = slices.Compact(slices.Sorted(slices.Values(m.Attendees)))
	return nil
}

// NeedsCAB reports whether the policy requires a CAB member's approval for
// a change of risk class.
func NeedsCAB(pol *policy.Policy, class string) bool {
	return slices.ContainsFunc(pol.Approvals.For(class), func(r policy.Requirement) bool { return r.Role == CABRole && r.Count > 0 })
}

// Item is one change on a meeting's agenda.
type Item struct {
	Change     string   `json:"change"`
	Title      string   `json:"title"`
	Type       string   `json:"type"`
	RiskClass  string   `json:"risk_class"`
	Release    string   `json:"release,omitempty"`
	Env        string   `json:"env,omitempty"`
	Problems   []string `json:"problems"` // the problems its release resolves
	ProblemFix bool     `json:"problem_fix"`
	Requester  string   `json:"requested_by"`
}

// Agenda is what a meeting decides about, and whether it may approve the
// problem fixes on it.
type Agenda struct {
	Meeting string `json:"meeting"`
	Items   []Item `json:"items"`
	// MayApproveFixes is false when the agenda holds problem fixes and no
	// attendee holds the problem_manager role; Missing then names it.
	MayApproveFixes bool   `json:"may_approve_fixes"`
	Missing         string `json:"missing_attendee_role,omitempty"`
}

// BuildAgenda keeps the candidate changes (waiting for authorisation) whose
// risk class needs a CAB by pol, and checks the attendance rule given the
// roles each attendee holds.
func BuildAgenda(pol *policy.Policy, m Record, candidates []Item, roles map[string][]string) Agenda {
	a := Agenda{Meeting: m.ID, Items: []Item{}, MayApproveFixes: true}
	fixes := false
	for _, it := range candidates {
		if NeedsCAB(pol, it.RiskClass) {
			a.Items = append(a.Items, it)
			fixes = fixes || it.ProblemFix
		}
	}
	if fixes && !HasProblemManager(m, roles) {
		a.MayApproveFixes, a.Missing = false, string(auth.ProblemManager)
	}
	return a
}

// HasProblemManager reports whether an attendee holds the problem_manager role.
func HasProblemManager(m Record, roles map[string][]string) bool {
	return slices.ContainsFunc(m.Attendees, func(u string) bool { return slices.Contains(roles[u], string(auth.ProblemManager)) })
}

// CheckDecision says whether decider may record a decision on item through
// meeting m: the meeting is scheduled or held (Conflict naming its status
// otherwise), the decider attends (Forbidden), the change is on the agenda,
// and a problem fix needs a problem_manager among the attendees
// (PreconditionFailed naming the missing role otherwise).
func CheckDecision(m Record, agenda Agenda, change, decider string, roles map[string][]string) (Item, error) {
	if err := m.CheckOpen("decisions"); err != nil {
		return Item{}, err
	}
	if !slices.Contains(m.Attendees, decider) {
		return Item{}, fault.Refused("cab_attendance", "%s does not attend %s; only attendees record its decisions", decider, m.ID)
	}
	i := slices.IndexFunc(agenda.Items, func(it Item) bool { return it.Change == change })
	if i < 0 {
		return Item{}, fault.New(fault.PreconditionFailed, "%s is not on the agenda of %s (a change waiting for authorisation whose risk class needs a CAB)", change, m.ID)
	}
	it := agenda.Items[i]
	if it.ProblemFix && !HasProblemManager(m, roles) {
		return it, &fault.Error{Code: fault.PreconditionFailed, Field: "attendees",
			Message: m.ID + " cannot approve problem fix " + change + ": no attendee holds the problem_manager role (add one to the attendees)",
			Extra:   map[string]any{"missing_attendee_role": string(auth.ProblemManager)}}
	}
	return it, nil
}

package cab

import (
	"strings"
	"time"
	"unicode/utf8"

	"fixgate/internal/fault"
	"fixgate/internal/lifecycle"
)

// Status values of a CAB meeting.
const (
	Scheduled = "scheduled" // planned: agenda, attendees and date may change; decisions may be recorded
	Held      = "held"      // it took place (held_at): decisions and attendees may still be recorded
	Canceled  = "canceled"  // it will not take place (cancel_reason): final
	Closed    = "closed"    // its minutes are done (minutes): final, no more decisions
)

// Machine is the meeting lifecycle. A meeting that took place cannot be
// canceled, and one that did not cannot be closed: closing says the minutes
// of a held meeting are done.
var Machine = lifecycle.Machine{Record: "CAB meeting", Moves: map[string][]string{
	Scheduled: {Held, Canceled},
	Held:      {Closed},
	Canceled:  nil,
	Closed:    nil,
}}

// MaxText bounds a cancel reason and the minutes.
const MaxText = 10000

// Open reports whether the meeting still records decisions and attendee
// changes (scheduled or held).
func (m *Record) Open() bool { return m.Status == Scheduled || m.Status == Held }

// CheckOpen returns a Conflict naming the status (extra current_status)
// unless the meeting is scheduled or held; what says what was refused.
func (m *Record) CheckOpen(what string) error {
	if m.Open() {
		return nil
	}
	return &fault.Error{Code: fault.Conflict, Field: "status",
		Message: m.ID + " is " + m.Status + "; a " + m.Status + " meeting takes no " + what + " (only scheduled or held ones do)",
		Extra:   map[string]any{"current_status": m.Status}}
}

// Move applies a lifecycle move at now. held records held_at; canceled
// needs the reason in comment; closed needs the minutes (a summary or a
// link) in comment. Returns Invalid naming "status" for an unknown state,
// Conflict (current_status, allowed_moves) for an illegal move, Invalid
// naming "comment" for a missing or oversized reason or minutes.
func (m *Record) Move(to, comment string, now time.Time) error {
	if err := Machine.Check(m.Status, to); err != nil {
		return err
	}
	comment = strings.TrimSpace(comment)
	if len(comment) > MaxText || !utf8.ValidString(comment) {
		return fault.Field("comment", "must be valid text of at most %d bytes", MaxText)
	}
	switch to {
	case Held:
		m.HeldAt = &now
	case Canceled:
		if comment == "" {
			return fault.Field("comment", "is required to cancel %s: say why it will not take place", m.ID)
		}
		m.CanceledAt, m.CancelReason = &now, comment
	case Closed:
		if comment == "" {
			return fault.Field("comment", "is required to close %s: the minutes (a summary or a link to them)", m.ID)
		}
		m.ClosedAt, m.Minutes = &now, comment
	}
	m.Status = to
	return nil
}

// CheckEdit returns Conflict, naming why, when the fields changed between
// before and m may not change: nothing changes once the meeting is
// canceled or closed, and the date is a fact once it was held (title and
// attendees may still be corrected, e.g. a problem_manager who joined
// late). Status and the lifecycle fields change only through Move.
func (m *Record) CheckEdit(before Record) error {
	if err := before.CheckOpen("changes"); err != nil {
		return err
	}
	if before.Status != Scheduled && !m.ScheduledAt.Equal(before.ScheduledAt) {
		return &fault.Error{Code: fault.Conflict, Field: "scheduled_at",
			Message: before.ID + " is " + before.Status + "; the date it took place (scheduled_at) no longer changes",
			Extra:   map[string]any{"current_status": before.Status}}
	}
	return nil
}

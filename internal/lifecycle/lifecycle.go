// Package lifecycle checks moves between the states of a record. Each record
// package declares its Machine and routes every status change through it.
package lifecycle

import (
	"slices"
	"strings"

	"fixgate/internal/fault"
)

// Machine maps each state to the states it may move to.
type Machine struct {
	Record string
	Moves  map[string][]string
}

// Allowed returns the states reachable from from, in declaration order.
func (m Machine) Allowed(from string) []string { return m.Moves[from] }

// Known reports whether s is a state of the machine.
func (m Machine) Known(s string) bool {
	_, ok := m.Moves[s]
	return ok
}

// States lists every state, sorted.
func (m Machine) States() []string {
	out := make([]string, 0, len(m.Moves))
	for s := range m.Moves {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Check returns nil if from → to is legal; an Invalid error naming "status"
// for an unknown target; otherwise a Conflict error whose Extra holds the
// current state and the allowed moves.
func (m Machine) Check(from, to string) error {
	if !m.Known(to) {
		return fault.Field("status", "unknown %s state %q (states: %s)", m.Record, to, strings.Join(m.States(), ", "))
	}
	allowed := m.Moves[from]
	if slices.Contains(allowed, to) {
		return nil
	}
	moves := "none, it is final"
	if len(allowed) > 0 {
		moves = strings.Join(allowed, ", ")
	}
	return &fault.Error{Code: fault.Conflict,
		Message: "cannot move " + m.Record + " from " + from + " to " + to + " (allowed: " + moves + ")",
		Extra:   map[string]any{"current_status": from, "allowed_moves": nonNil(allowed)}}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

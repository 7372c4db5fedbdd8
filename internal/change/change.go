// Package change holds the change record: the authorisation to deploy a
// release into an environment, its type, risk class, planned window,
// lifecycle and documented deviations. It does no I/O.
package change

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
)

// Types of change.
const (
	Standard  = "standard"
	Normal    = "normal"
	Emergency = "emergency"
)

// Types lists the change types.
var Types = []string{Standard, Normal, Emergency}

// RiskClasses lists the risk classes, lowest first. A change has none
// until it is assessed.
var RiskClasses = []string{"low", "medium", "high", "critical"}

// Status values of a change.
const (
	Draft     = "draft"
	Assess    = "assess"
	Authorize = "authorize"
	Scheduled = "scheduled"
	Implement = "implement"
	Review    = "review"
	Closed    = "closed"
	Canceled  = "canceled"
	Failed    = "failed"
)

// Machine is the change lifecycle. assess → scheduled (skipping
// authorisation) is legal only for standard changes; Move enforces that.
var Machine = lifecycle.Machine{Record: "change", Moves: map[string][]string{
	Draft:     {Assess, Canceled},
	Assess:    {Authorize, Scheduled, Canceled},
	Authorize: {Scheduled, Canceled},
	Scheduled: {Implement, Canceled},
	Implement: {Review, Failed, Canceled},
	Review:    {Closed, Failed, Canceled},
	Closed:    nil,
	Canceled:  nil,
	Failed:    nil,
}}

// Deviation documents a step of the change process that was skipped, why,
// who approved skipping it, and the period it covers: [From, To), an open
// end unbounded. Outside that period it does not count.
type Deviation struct {
	StepSkipped string     `json:"step_skipped"`
	Reason      string     `json:"reason"`
	ApprovedBy  string     `json:"approved_by"`
	At          time.Time  `json:"at"`
	From        *time.Time `json:"from,omitempty"`
	To          *time.Time `json:"to,omitempty"`
}

// Covers reports whether t falls in the deviation's period [From, To).
func (d Deviation) Covers(t time.Time) bool {
	return (d.From == nil || !t.Before(*d.From)) && (d.To == nil || t.Before(*d.To))
}

// Change is one change record.
type Change struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Type        string `json:"type"`
	Release     string `json:"release"` // REL-n or ""
	Env         string `json:"env"`     // environment name or ""
	ChangeModel string `json:"change_model"`
	RiskClass   string `json:"risk_class"` // "" until assessed
	// RiskComputed is the class the policy's risk rules gave when the
	// change was assessed; RiskClass differs from it only by an override,
	// which carries RiskJustification and RiskOverrideBy.
	RiskComputed      string      `json:"risk_computed"`
	RiskJustification string      `json:"risk_justification"`
	RiskOverrideBy    string      `json:"risk_override_by"`
	Status            string      `json:"status"`
	RequestedBy       string      `json:"requested_by"`
	PlannedStart      *time.Time  `json:"planned_start"`
	PlannedEnd        *time.Time  `json:"planned_end"`
	Deviations        []Deviation `json:"deviations"`
	Revision          int64       `json:"revision"`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
}

// Validate checks the fields a person sets and normalises them. Returns an
// Invalid error naming the field.
func (c *Change) Validate() error {
	c.Title = strings.TrimSpace(c.Title)
	if c.Title == "" {
		return fault.Field("title", "is required")
	}
	if len(c.Title) > 200 {
		return fault.Field("title", "is longer than 200 characters")
	}
	if !slices.Contains(Types, c.Type) {
		return fault.Field("type", "must be one of %s, got %q", strings.Join(Types, ", "), c.Type)
	}
	if c.Release != "" {
		n, err := ident.Release.Parse("release", c.Release)
		if err != nil {
			return err
		}
		c.Release = ident.Release.Format(n)
	}
	if c.Env != "" {
		if err := ident.ValidName("env", c.Env); err != nil {
			return err
		}
	}
	if c.ChangeModel != "" {
		if err := ident.ValidName("change_model", c.ChangeModel); err != nil {
			return err
		}
	}
	if c.RiskClass != "" && !slices.Contains(RiskClasses, c.RiskClass) {
		return fault.Field("risk_class", "must be one of %s, got %q", strings.Join(RiskClasses, ", "), c.RiskClass)
	}
	if (c.PlannedStart == nil) != (c.PlannedEnd == nil) {
		field := "planned_end"
		if c.PlannedStart == nil {
			field = "planned_start"
		}
		return fault.Field(field, "planned_start and planned_end are set together")
	}
	if c.PlannedStart != nil && !c.PlannedEnd.After(*c.PlannedStart) {
		return fault.Field("planned_end", "must be after planned_start")
	}
	if c.Deviations == nil {
		c.Deviations = []Deviation{}
	}
	return nil
}

// UseModel checks the change model against those the policy defines
// (models maps each name to its default_change_type) and, when the type is
// not set, takes the model's default. A change without a model is left
// alone. Returns Invalid naming "change_model" for a model the policy does
// not define.
func (c *Change) UseModel(models map[string]string) error {
	if c.ChangeModel == "" {
		return nil
	}
	def, ok := models[c.ChangeModel]
	if !ok {
		names := make([]string, 0, len(models))
		for n := range models {
			names = append(names, n)
		}
		slices.Sort(names)
		return fault.Field("change_model", "unknown change model %q (the policy defines %s)", c.ChangeModel, strings.Join(names, ", "))
	}
	if c.Type == "" {
		c.Type = def
	}
	return nil
}

func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Fingerprint identifies what an approval of the change approves: its
// type, release, environment, change model, planned window and the
// deviations it carries (an approver did not approve skipping a step
// recorded after their decision). Risk class, title and the lifecycle
// status are not part of it, so a lifecycle move keeps approvals current
// while a content edit voids them. Hex SHA-256 of a canonical encoding.
func (c Change) Fingerprint() string {
	window := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	devs := make([][]string, len(c.Deviations))
	for i, d := range c.Deviations {
		devs[i] = []string{d.StepSkipped, d.Reason, d.ApprovedBy, window(d.From), window(d.To)}
	}
	b, err := json.Marshal(map[string]any{"type": c.Type, "release": c.Release, "env": c.Env, "change_model": c.ChangeModel,
		"planned_start": window(c.PlannedStart), "planned_end": window(c.PlannedEnd), "deviations": devs})
	if err != nil {
		panic(err) // strings and lists of them always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Final reports whether the change has reached a final state.
func (c *Change) Final() bool { return len(Machine.Allowed(c.Status)) == 0 }

// Move applies a lifecycle move. Returns Conflict for an illegal move
// (including a normal or emergency change skipping authorisation) and
// PreconditionFailed when the target state's guard is unmet.
func (c *Change) Move(to string) error {
	if err := Machine.Check(c.Status, to); err != nil {
		return err
	}
	if c.Status == Assess && to == Scheduled && c.Type != Standard {
		return &fault.Error{Code: fault.Conflict,
			Message: "only standard changes may skip authorization; a " + c.Type + " change moves assess → authorize",
			Extra:   map[string]any{"current_status": c.Status, "allowed_moves": []string{Authorize, Canceled}}}
	}
	switch to {
	case Authorize, Scheduled:
		if c.RiskClass == "" {
			return fault.New(fault.PreconditionFailed, "assess the change first: set its risk_class before it moves to %s", to)
		}
	}
	if to == Scheduled && c.PlannedStart == nil {
		return fault.New(fault.PreconditionFailed, "set planned_start and planned_end before scheduling the change")
	}
	if to == Implement && (c.Release == "" || c.Env == "") {
		return fault.New(fault.PreconditionFailed, "name the release and the environment before implementing the change")
	}
	c.Status = to
	return nil
}

// CheckEdit returns Conflict, naming why, when the fields changed between
// before and c may not change in the current state: type, release, env,
// change model and risk class are what was assessed and authorised, so they
// are fixed once the change leaves assess; the planned window may move
// until implementation starts; nothing changes in a final state.
func (c *Change) CheckEdit(before Change) error {
	if before.Final() {
		return fault.Conflictf("change %s is %s; it can no longer be edited", before.ID, before.Status)
	}
	assessed := before.Status != Draft && before.Status != Assess
	if assessed && (c.Type != before.Type || c.Release != before.Release || c.Env != before.Env ||
		c.ChangeModel != before.ChangeModel || c.RiskClass != before.RiskClass || c.RiskJustification != before.RiskJustification) {
		return fault.Conflictf("change %s is %s: type, release, env, change_model and risk_class were assessed and can no longer change (cancel it and raise a new change)", before.ID, before.Status)
	}
	started := before.Status == Implement || before.Status == Review
	if started && (!timeEq(c.PlannedStart, before.PlannedStart) || !timeEq(c.PlannedEnd, before.PlannedEnd)) {
		return fault.Conflictf("change %s is %s: its planned window can no longer move", before.ID, before.Status)
	}
	return nil
}

func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// MaxJustification bounds a risk override's justification.
const MaxJustification = 4000

// SetComputedRisk records the class the policy computed. Without an
// override it becomes the change's risk class; an override stays (its
// justification was written against the class computed then, and the
// gate and CAB see both).
func (c *Change) SetComputedRisk(class string) {
	c.RiskComputed = class
	if c.RiskJustification == "" {
		c.RiskClass, c.RiskOverrideBy = class, ""
	}
}

// OverrideRisk sets the risk class by hand. A class other than the computed
// one (or any class before one was computed) needs a justification: Invalid
// naming "risk_justification" otherwise. Setting the computed class back
// clears the override.
func (c *Change) OverrideRisk(class, justification, by string) error {
	justification = strings.TrimSpace(justification)
	if !slices.Contains(RiskClasses, class) {
		return fault.Field("risk_class", "must be one of %s, got %q", strings.Join(RiskClasses, ", "), class)
	}
	if len(justification) > MaxJustification {
		return fault.Field("risk_justification", "is longer than %d characters", MaxJustification)
	}
	if class == c.RiskComputed {
		c.RiskClass, c.RiskJustification, c.RiskOverrideBy = class, "", ""
		return nil
	}
	if justification == "" {
		computed := c.RiskComputed
		if computed == "" {
			computed = "not computed yet (assess the change)"
		}
		return fault.Field("risk_justification", "is required to set risk_class %s: the policy's class is %s", class, computed)
	}
	c.RiskClass, c.RiskJustification, c.RiskOverrideBy = class, justification, by
	return nil
}

// AddDeviation appends a documented deviation approved by approver at now,
// covering all time. Returns Invalid naming the field for a missing step or
// reason, or a self-approval by the requester, and Conflict on a final change.
func (c *Change) AddDeviation(step, reason, approver string, now time.Time) error {
	return c.AddBoundedDeviation(step, reason, approver, nil, nil, now)
}

// AddBoundedDeviation is AddDeviation for the period [from, to) (nil: an
// open end). Returns Invalid naming "to" unless to is after from.
func (c *Change) AddBoundedDeviation(step, reason, approver string, from, to *time.Time, now time.Time) error {
	step, reason = strings.TrimSpace(step), strings.TrimSpace(reason)
	if step == "" {
		return fault.Field("step_skipped", "is required")
	}
	if len(step) > 100 {
		return fault.Field("step_skipped", "is longer than 100 characters")
	}
	if reason == "" {
		return fault.Field("reason", "is required")
	}
	if err := ident.ValidName("approved_by", approver); err != nil {
		return err
	}
	if approver == c.RequestedBy {
		return fault.Field("approved_by", "%s requested this change and cannot approve its deviation", approver)
	}
	if c.Final() {
		return fault.Conflictf("change %s is %s; deviations can no longer be recorded", c.ID, c.Status)
	}
	if from != nil && to != nil && !to.After(*from) {
		return fault.Field("to", "must be after from (%s)", from.Format(time.RFC3339))
	}
	from, to = utcOrNil(from), utcOrNil(to)
	c.Deviations = append(c.Deviations, Deviation{StepSkipped: step, Reason: reason, ApprovedBy: approver, At: now, From: from, To: to})
	return nil
}

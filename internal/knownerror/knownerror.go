// Package knownerror holds the known error record (KEDB entry): symptoms,
// root cause and workaround of a problem, its lifecycle, and the log of
// outcomes of every release and deployment that tried to fix it. It does no I/O.
package knownerror

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/labels"
	"fixgate/internal/lifecycle"
)

// Status values of a known error.
const (
	Draft     = "draft"
	Published = "published"
	Retired   = "retired"
)

// Machine is the known error lifecycle. A draft is being written; published
// entries are what the service desk searches; retired entries no longer
// apply (the fix worked) and are republished when the error recurs.
var Machine = lifecycle.Machine{Record: "known error", Moves: map[string][]string{
	Draft:     {Published, Retired},
	Published: {Retired, Draft},
	Retired:   {Published},
}}

// Outcome values of a fix attempt.
const (
	Fixed        = "fixed"
	Recurred     = "recurred"
	RolledBack   = "rolled_back"
	Inconclusive = "inconclusive"
)

// Outcomes lists every outcome value.
var Outcomes = []string{Fixed, Recurred, RolledBack, Inconclusive}

// Limits of text fields.
const (
	MaxTitle = 200
	MaxText  = 20000
	MaxNote  = 2000
)

// KnownError is one KEDB entry.
type KnownError struct {
	ID         string     `json:"id"`
	Title      string     `json:"title"`
	Symptoms   string     `json:"symptoms"`
	RootCause  string     `json:"root_cause"`
	Workaround string     `json:"workaround"`
	Status     string     `json:"status"`
	Problem    string     `json:"problem,omitempty"` // PRB-n
	Labels     labels.Set `json:"labels"`
	Outcomes   []Outcome  `json:"outcomes"` // oldest first
	Revision   int64      `json:"revision"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Outcome is what one fix attempt did to the known error.
type Outcome struct {
	Release    string    `json:"release,omitempty"`    // REL-n
	Deployment string    `json:"deployment,omitempty"` // DEP-n
	Outcome    string    `json:"outcome"`
	Note       string    `json:"note"`
	At         time.Time `json:"at"`
}

// Validate checks and normalises the fields a person sets. Returns an
// Invalid error naming the field.
func (k *KnownError) Validate() error {
	k.Title = strings.TrimSpace(k.Title)
	if k.Title == "" {
		return fault.Field("title", "is required")
	}
	if len(k.Title) > MaxTitle || !utf8.ValidString(k.Title) {
		return fault.Field("title", "must be valid text of at most %d bytes", MaxTitle)
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"symptoms", &k.Symptoms}, {"root_cause", &k.RootCause}, {"workaround", &k.Workaround}} {
		*f.v = strings.TrimSpace(*f.v)
		if len(*f.v) > MaxText || !utf8.ValidString(*f.v) {
			return fault.Field(f.name, "must be valid text of at most %d bytes", MaxText)
		}
	}
	if err := k.Labels.Validate("labels"); err != nil {
		return err
	}
	k.Labels = k.Labels.Clone()
	if k.Outcomes == nil {
		k.Outcomes = []Outcome{}
	}
	var err error
	k.Problem, err = normID(ident.Problem, "problem", k.Problem)
	return err
}

// Move applies a lifecycle move. Publishing needs symptoms (how to
// recognise it) and a workaround (what to do meanwhile): that is what makes
// the entry useful to the service desk. Returns Conflict for an illegal
// move and PreconditionFailed when a guard is unmet.
func (k *KnownError) Move(to string) error {
	if err := Machine.Check(k.Status, to); err != nil {
		return err
	}
	if to == Published {
		var missing []string
		if k.Symptoms == "" {
			missing = append(missing, "symptoms")
		}
		if k.Workaround == "" {
			missing = append(missing, "workaround")
		}
		if len(missing) > 0 {
			return fault.New(fault.PreconditionFailed, "record the %s before publishing the known error", strings.Join(missing, " and "))
		}
	}
	k.Status = to
	return nil
}

// AddOutcome validates o and appends it to the log. A zero At becomes now;
// At may not lie in the future. It needs a release or a deployment (the fix
// attempt it reports on). Returns an Invalid error naming the field.
func (k *KnownError) AddOutcome(o Outcome, now time.Time) (Outcome, error) {
	if !slices.Contains(Outcomes, o.Outcome) {
		return o, fault.Field("outcome", "must be one of %s, got %q", strings.Join(Outcomes, ", "), o.Outcome)
	}
	var err error
	if o.Release, err = normID(ident.Release, "release", o.Release); err != nil {
		return o, err
	}
	if o.Deployment, err = normID(ident.Deployment, "deployment", o.Deployment); err != nil {
		return o, err
	}
	if o.Release == "" && o.Deployment == "" {
		return o, fault.Field("release", "name the release or the deployment whose outcome this is")
	}
	o.Note = strings.TrimSpace(o.Note)
	if len(o.Note) > MaxNote || !utf8.ValidString(o.Note) {
		return o, fault.Field("note", "must be valid text of at most %d bytes", MaxNote)
	}
	if o.At.IsZero() {
		o.At = now
	}
	o.At = o.At.UTC().Truncate(time.Microsecond)
	if o.At.After(now.Add(5 * time.Minute)) {
		return o, fault.Field("at", "%s is in the future", o.At.Format(time.RFC3339))
	}
	k.Outcomes = append(k.Outcomes, o)
	return o, nil
}

func normID(k ident.Kind, field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	n, err := k.Parse(field, s)
	if err != nil {
		return "", err
	}
	return k.Format(n), nil
}

// Package incident holds the incident record and its lifecycle. Incidents
// arrive from the API, from imports and from Alertmanager; they name the CI
// and environment they hit and may be linked to a problem and attributed to
// a deployment. It does no I/O.
package incident

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/labels"
	"fixgate/internal/lifecycle"
)

// Status values of an incident.
const (
	Open     = "open"
	Resolved = "resolved"
)

// Machine is the incident lifecycle: resolved → open is a reopen.
var Machine = lifecycle.Machine{Record: "incident", Moves: map[string][]string{
	Open:     {Resolved},
	Resolved: {Open},
}}

// Sources an incident can come from.
const (
	SourceAPI          = "api"
	SourceImport       = "import"
	SourceAlertmanager = "alertmanager"
)

// Sources lists every source.
var Sources = []string{SourceAPI, SourceImport, SourceAlertmanager}

// MaxSkew is how far in the future an opened_at may lie (clock skew
// between the reporting system and the server).
const MaxSkew = 5 * time.Minute

// Limits of free-text fields.
const (
	MaxTitle       = 200
	MaxExternalID  = 200
	MaxFingerprint = 128
)

// Incident is one incident record.
type Incident struct {
	ID          string     `json:"id"`
	ExternalID  string     `json:"external_id,omitempty"` // unique id in the source system; re-imports match on it
	Title       string     `json:"title"`
	Source      string     `json:"source"`
	CI          string     `json:"ci"`
	Env         string     `json:"env"`
	Severity    int        `json:"severity"` // 1 (highest) to 4
	Status      string     `json:"status"`
	Labels      labels.Set `json:"labels"`
	Fingerprint string     `json:"fingerprint"`
	OpenedAt    time.Time  `json:"opened_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	Problem     string     `json:"problem,omitempty"`    // PRB-n
	Deployment  string     `json:"deployment,omitempty"` // DEP-n the incident is attributed to
	Revision    int64      `json:"revision"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Validate checks and normalises the fields a caller sets, at server time
// now. A zero OpenedAt becomes now, an empty Source "api", an empty
// Fingerprint the fingerprint of the labels; ids are normalised (prb-3 →
// PRB-3). Returns an Invalid error naming the field.
func (i *Incident) Validate(now time.Time) error {
	i.Title = strings.TrimSpace(i.Title)
	if i.Title == "" {
		return fault.Field("title", "is required")
	}
	if len(i.Title) > MaxTitle || !utf8.ValidString(i.Title) {
		return fault.Field("title", "must be valid text of at most %d bytes", MaxTitle)
	}
	if i.Source == "" {
		i.Source = SourceAPI
	}
	if !slices.Contains(Sources, i.Source) {
		return fault.Field("source", "must be one of %s, got %q", strings.Join(Sources, ", "), i.Source)
	}
	if err := ident.ValidName("ci", i.CI); err != nil {
		return err
	}
	if err := ident.ValidName("env", i.Env); err != nil {
		return err
	}
	if i.Severity < 1 || i.Severity > 4 {
		return fault.Field("severity", "must be 1 (highest) to 4, got %d", i.Severity)
	}
	if err := i.Labels.Validate("labels"); err != nil {
		return err
	}
	i.Labels = i.Labels.Clone()
	if err := checkToken("external_id", i.ExternalID, MaxExternalID); err != nil {
		return err
	}
	if err := checkToken("fingerprint", i.Fingerprint, MaxFingerprint); err != nil {
		return err
	}
	if i.Fingerprint == "" {
		i.Fingerprint = i.Labels.Fingerprint()
	}
	if err := i.checkTimes(now); err != nil {
		return err
	}
	var err error
	if i.Problem, err = normID(ident.Problem, "problem", i.Problem); err != nil {
		return err
	}
	i.Deployment, err = normID(ident.Deployment, "deployment", i.Deployment)
	return err
}

func (i *Incident) checkTimes(now time.Time) error {
	if i.OpenedAt.IsZero() {
		i.OpenedAt = now
	}
	i.OpenedAt = i.OpenedAt.UTC().Truncate(time.Microsecond)
	if i.OpenedAt.After(now.Add(MaxSkew)) {
		return fault.Field("opened_at", "%s is in the future (server time %s)",
			i.OpenedAt.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if i.OpenedAt.Year() < 1970 {
		return fault.Field("opened_at", "%s is before 1970", i.OpenedAt.Format(time.RFC3339))
	}
	if i.ResolvedAt != nil {
		t := i.ResolvedAt.UTC().Truncate(time.Microsecond)
		i.ResolvedAt = &t
		if t.Before(i.OpenedAt) {
			return fault.Field("resolved_at", "is before opened_at")
		}
		if t.After(now.Add(MaxSkew)) {
			return fault.Field("resolved_at", "%s is in the future", t.Format(time.RFC3339))
		}
	}
	return nil
}

// checkToken accepts "" or printable text without spaces at the ends, at most max bytes.
func checkToken(field, s string, max int) error {
	if len(s) > max {
		return fault.Field(field, "is longer than %d bytes", max)
	}
	if !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return fault.Field(field, "must be printable text without leading or trailing spaces")
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fault.Field(field, "must be printable text without leading or trailing spaces")
		}
	}
	return nil
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

// Init sets the state of a new incident: open, or resolved at ResolvedAt
// when a resolved incident is imported. Call after Validate.
func (i *Incident) Init() error {
	at := i.ResolvedAt
	i.Status, i.ResolvedAt = Open, nil
	if at != nil {
		return i.Move(Resolved, *at)
	}
	return nil
}

// Move applies a lifecycle move at time at: resolving records the time
// (never before opened_at), reopening clears it. Returns Conflict for an
// illegal move, Invalid for an unknown state.
func (i *Incident) Move(to string, at time.Time) error {
	if err := Machine.Check(i.Status, to); err != nil {
		return err
	}
	switch to {
	case Resolved:
		if at.Before(i.OpenedAt) {
			at = i.OpenedAt
		}
		at = at.UTC()
		i.ResolvedAt = &at
	case Open:
		i.ResolvedAt = nil
	}
	i.Status = to
	return nil
}

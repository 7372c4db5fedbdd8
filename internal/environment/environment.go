// Package environment holds deployment targets with their tier, tags,
// maintenance windows and freeze periods.
package environment

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Tiers, from least to most protected.
const (
	Development = "development"
	Test        = "test"
	Staging     = "staging"
	Production  = "production"
)

// Tiers lists the tiers in order.
var Tiers = []string{Development, Test, Staging, Production}

// Environment is a deployment target.
type Environment struct {
	Name    string   `json:"name"`
	Tier    string   `json:"tier"`
	Tags    []string `json:"tags"`
	Windows []Window `json:"windows"`
	Freezes []Freeze `json:"freezes"`
	// Driver carries deployments to this environment unless a deployment
	// names one; "" defers to the policy's environments.NAME.driver.
	Driver    string    `json:"driver,omitempty"`
	Revision  int64     `json:"revision"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Window is a weekly maintenance window in a time zone: on each of Days,
// from Start to End local time ("22:00"–"02:00" crosses midnight).
type Window struct {
	Name     string   `json:"name"`
	TimeZone string   `json:"time_zone"`
	Days     []string `json:"days"`
	Start    string   `json:"start"`
	End      string   `json:"end"`
}

// Freeze is a period in which no change may deploy without a deviation.
type Freeze struct {
	Name   string    `json:"name"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Validate checks the environment. Returns Invalid naming the field.
func (e *Environment) Validate() error {
	if err := ident.ValidName("name", e.Name); err != nil {
		return err
	}
	if !slices.Contains(Tiers, e.Tier) {
		return fault.Field("tier", "must be one of %s, got %q", strings.Join(Tiers, ", "), e.Tier)
	}
	if e.Driver != "" {
		if err := ident.ValidName("driver", e.Driver); err != nil {
			return err
		}
	}
	for _, t := range e.Tags {
		if err := ident.ValidName("tags", t); err != nil {
			return err
		}
	}
	slices.Sort(e.Tags)
	e.Tags = slices.Compact(e.Tags)
	for i := range e.Windows {
		if err := e.Windows[i].validate(); err != nil {
			return fault.Field("windows", "entry %d: %s", i, fault.As(err).Message)
		}
	}
	for i, f := range e.Freezes {
		if f.Start.IsZero() || f.End.IsZero() || !f.End.After(f.Start) {
			return fault.Field("freezes", "entry %d: needs start before end (RFC 3339 times with a zone)", i)
		}
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	if e.Windows == nil {
		e.Windows = []Window{}
	}
	if e.Freezes == nil {
		e.Freezes = []Freeze{}
	}
	return nil
}

// HasTag reports whether the environment carries tag.
func (e *Environment) HasTag(tag string) bool { return slices.Contains(e.Tags, tag) }

func (w *Window) validate() error {
	if w.TimeZone == "" {
		return fault.New(fault.Invalid, "time_zone is required (e.g. Europe/Berlin)")
	}
	if _, err := time.LoadLocation(w.TimeZone); err != nil {
		return fault.New(fault.Invalid, "unknown time_zone %q", w.TimeZone)
	}
	if len(w.Days) == 0 {
		return fault.New(fault.Invalid, "days is required (mon … sun)")
	}
	for i, d := range w.Days {
		d = strings.ToLower(d)
		if !slices.Contains(weekdays, d) {
			return fault.New(fault.Invalid, "day %q is not one of mon, tue, wed, thu, fri, sat, sun", w.Days[i])
		}
		w.Days[i] = d
	}
	if _, err := time.Parse("15:04", w.Start); err != nil {
		return fault.New(fault.Invalid, "start %q is not HH:MM", w.Start)
	}
	if _, err := time.Parse("15:04", w.End); err != nil {
		return fault.New(fault.Invalid, "end %q is not HH:MM", w.End)
	}
	if w.Start == w.End {
		return fault.New(fault.Invalid, "start and end are equal")
	}
	return nil
}

// Package cycle holds the release cycle record (a sprint or a monthly patch
// train: a name, a window, target environments and the problems it
// targets) and the ranking that proposes which recurring problems a cycle
// should target. It does no I/O.
package cycle

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Cycle is one release cycle.
type Cycle struct {
	ID        string    `json:"id"` // CYC-n
	Name      string    `json:"name"`
	Starts    time.Time `json:"starts_at"`
	Ends      time.Time `json:"ends_at"`
	Envs      []string  `json:"envs"`     // target environments
	Problems  []string  `json:"problems"` // targeted problems, PRB-n in id order
	Revision  int64     `json:"revision"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MaxWindow bounds a cycle's window.
const MaxWindow = 366 * 24 * time.Hour

// Validate checks and normalises the fields a person sets: a name like
// other named records, a window that ends after it starts (at most a
// year), at least one target environment. Returns Invalid naming the field.
func (c *Cycle) Validate() error {
	if err := ident.ValidName("name", c.Name); err != nil {
		return err
	}
	if c.Starts.IsZero() {
		return fault.Field("starts_at", "is required")
	}
	if !c.Ends.After(c.Starts) {
		return fault.Field("ends_at", "must be after starts_at")
	}
	if c.Ends.Sub(c.Starts) > MaxWindow {
		return fault.Field("ends_at", "a cycle's window is at most a year")
	}
	if len(c.Envs) == 0 {
		return fault.Field("envs", "name at least one target environment")
	}
	for _, e := range c.Envs {
		if err := ident.ValidName("envs", e); err != nil {
			return err
		}
	}
	slices.Sort(c.Envs)
	c.Envs = slices.Compact(c.Envs)
	c.Starts, c.Ends = c.Starts.UTC(), c.Ends.UTC()
	if c.Problems == nil {
		c.Problems = []string{}
	}
	return nil
}

// Add targets problem id (PRB-n). Returns false when it already is.
func (c *Cycle) Add(id string) bool {
	if slices.Contains(c.Problems, id) {
		return false
	}
	c.Problems = append(c.Problems, id)
	slices.SortFunc(c.Problems, compareIDs)
	return true
}

// Remove stops targeting problem id. Returns NotFound when it is not targeted.
func (c *Cycle) Remove(id string) error {
	i := slices.Index(c.Problems, id)
	if i < 0 {
		return fault.NotFoundf("cycle %s does not target %s", c.ID, id)
	}
	c.Problems = slices.Delete(c.Problems, i, i+1)
	return nil
}

// ParseSince reads a look-back window: Nd (days), Nw (weeks) or a Go
// duration (e.g. 36h), from one hour to two years. Returns Invalid naming field.
func ParseSince(field, s string) (time.Duration, error) {
	var d time.Duration
	var err error
	switch {
	case strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w"):
		var n int
		n, err = strconv.Atoi(s[:len(s)-1])
		unit := 24 * time.Hour
		if strings.HasSuffix(s, "w") {
			unit *= 7
		}
		d = time.Duration(n) * unit
		if n > 1000 {
			d = 0
		}
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Hour || d > 2*365*24*time.Hour {
		return 0, fault.Field(field, "%q is not a window from 1h to 730d (e.g. 90d, 12w, 36h)", s)
	}
	return d, nil
}

// compareIDs orders PRB-n ids by number.
func compareIDs(a, b string) int {
	na, _ := ident.Problem.Parse("", a)
	nb, _ := ident.Problem.Parse("", b)
	switch {
	case na < nb:
		return -1
	case na > nb:
		return 1
	}
	return strings.Compare(a, b)
}

// Target is a targeted problem as `cycle show` reports it: its state and
// the releases (not canceled) that resolve it.
type Target struct {
	Problem  string          `json:"problem"`
	Title    string          `json:"title"`
	Status   string          `json:"status"`
	Priority int             `json:"priority"`
	Releases []TargetRelease `json:"releases"`
}

// TargetRelease is a release that resolves a targeted problem.
type TargetRelease struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Status  string `json:"status"`
}

// Package ci holds configuration items (components and services), their
// dependencies, and component versions with their approval status.
package ci

import (
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
)

// Criticality levels of a CI, used by risk classification.
var Criticalities = []string{"low", "medium", "high", "critical"}

// CI is a configuration item.
type CI struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Owner       string    `json:"owner"`
	Criticality string    `json:"criticality"`
	Description string    `json:"description"`
	DependsOn   []string  `json:"depends_on"`
	Revision    int64     `json:"revision"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Validate checks the CI and normalises its lists. Returns Invalid naming the field.
func (c *CI) Validate() error {
	if err := ident.ValidName("name", c.Name); err != nil {
		return err
	}
	if c.Kind == "" {
		c.Kind = "service"
	}
	if err := ident.ValidName("kind", c.Kind); err != nil {
		return err
	}
	if c.Criticality == "" {
		c.Criticality = "medium"
	}
	if !slices.Contains(Criticalities, c.Criticality) {
		return fault.Field("criticality", "must be one of %s", strings.Join(Criticalities, ", "))
	}
	for _, d := range c.DependsOn {
		if err := ident.ValidName("depends_on", d); err != nil {
			return err
		}
		if d == c.Name {
			return fault.Field("depends_on", "a CI cannot depend on itself")
		}
	}
	slices.Sort(c.DependsOn)
	c.DependsOn = slices.Compact(c.DependsOn)
	if c.DependsOn == nil {
		c.DependsOn = []string{}
	}
	return nil
}

// Component version statuses.
const (
	Candidate = "candidate"
	Approved  = "approved"
	Unstable  = "unstable"
	Revoked   = "revoked"
)

// VersionMachine is the lifecycle of a component version.
var VersionMachine = lifecycle.Machine{Record: "component version", Moves: map[string][]string{
	Candidate: {Approved, Unstable, Revoked},
	Approved:  {Unstable, Revoked},
	Unstable:  {Approved, Revoked},
	Revoked:   nil,
}}

// Dependency kinds: how a component version uses another CI.
const (
	// Embeds: the other CI is linked or bundled in at build time (a
	// library), so this version carries the other's bugs until rebuilt.
	Embeds = "embeds"
	// Calls: the other CI is called at run time (a service); a fix there
	// needs no rebuild here while Constraint admits the fixed version.
	Calls = "calls"
)

// DependencyKinds lists the kinds of dependency.
var DependencyKinds = []string{Embeds, Calls}

// Dependency is a component version's requirement on another CI. Kind is
// embeds or calls; "" (rows stored before kinds existed) means calls.
type Dependency struct {
	CI         string `json:"ci"`
	Constraint string `json:"constraint"`
	Kind       string `json:"kind"`
}

// Embedded reports whether the dependency is built into the dependant.
func (d Dependency) Embedded() bool { return d.Kind == Embeds }

// Version is a built version of a CI ("checkout-api@1.4.3").
type Version struct {
	ID           string       `json:"id"`
	CI           string       `json:"ci"`
	Version      string       `json:"version"`
	Digest       string       `json:"digest"`
	Status       string       `json:"status"`
	Dependencies []Dependency `json:"dependencies"`
	Revision     int64        `json:"revision"`
	CreatedBy    string       `json:"created_by"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// Validate checks a component version. Returns Invalid naming the field.
func (v *Version) Validate() error {
	if err := ident.ValidName("ci", v.CI); err != nil {
		return err
	}
	sv, err := semver.StrictNewVersion(v.Version)
	if err != nil {
		return fault.Field("version", "%q is not a semantic version (e.g. 1.4.3)", v.Version)
	}
	v.Version = sv.String()
	if v.Digest != "" && !validDigest(v.Digest) {
		return fault.Field("digest", "must look like sha256:<64 hex digits>")
	}
	for i, d := range v.Dependencies {
		if err := ident.ValidName("dependencies", d.CI); err != nil {
			return fault.Field("dependencies", "entry %d: ci %q is not a valid name", i, d.CI)
		}
		if _, err := semver.NewConstraint(d.Constraint); err != nil {
			return fault.Field("dependencies", "entry %d: %q is not a semver constraint", i, d.Constraint)
		}
		if d.Kind == "" {
			v.Dependencies[i].Kind = Calls
		}
		if !slices.Contains(DependencyKinds, v.Dependencies[i].Kind) {
			return fault.Field("dependencies", "entry %d: kind must be embeds or calls, got %q", i, d.Kind)
		}
	}
	if v.Dependencies == nil {
		v.Dependencies = []Dependency{}
	}
	return nil
}

func validDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for _, r := range h {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// Move changes a version's status through VersionMachine.
func (v *Version) Move(to string) error {
	if err := VersionMachine.Check(v.Status, to); err != nil {
		return err
	}
	v.Status = to
	return nil
}

// ParseRef splits "name@1.2.3". Returns Invalid naming field otherwise.
func ParseRef(field, s string) (name, version string, err error) {
	name, version, ok := strings.Cut(s, "@")
	if !ok || ident.ValidName(field, name) != nil {
		return "", "", fault.Field(field, "%q is not a component reference (want CI@VERSION)", s)
	}
	sv, err := semver.StrictNewVersion(version)
	if err != nil {
		return "", "", fault.Field(field, "%q: %q is not a semantic version", s, version)
	}
	return name, sv.String(), nil
}

// CheckEditable returns Conflict unless the version is still a candidate:
// an approved, unstable or revoked version is what was reviewed, so a
// different build needs a new version.
func (v *Version) CheckEditable() error {
	if v.Status != Candidate {
		return fault.Conflictf("component version %s@%s is %s; only candidates can change (publish a new version instead)", v.CI, v.Version, v.Status)
	}
	return nil
}

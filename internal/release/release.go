// Package release holds the release record: a semver version of a set of
// component versions that resolves problems, its type and lifecycle.
package release

import (
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/lifecycle"
)

// Types of release.
const (
	ProblemFix = "problem-fix"
	Feature    = "feature"
	Mixed      = "mixed"
)

// Types lists the release types.
var Types = []string{ProblemFix, Feature, Mixed}

// Status values of a release.
const (
	Planned    = "planned"
	Approved   = "approved"
	Deploying  = "deploying"
	Deployed   = "deployed"
	Verified   = "verified"
	RolledBack = "rolled_back"
	Failed     = "failed"
	Canceled   = "canceled"
)

// Machine is the release lifecycle.
var Machine = lifecycle.Machine{Record: "release", Moves: map[string][]string{
	Planned:    {Approved, Canceled},
	Approved:   {Deploying, Planned, Canceled},
	Deploying:  {Deployed, RolledBack, Failed},
	Deployed:   {Verified, RolledBack, Deploying},
	Verified:   nil,
	RolledBack: {Planned, Canceled},
	Failed:     {Planned, Canceled},
	Canceled:   nil,
}}

// Artifact is a file attached to a release, content addressed.
type Artifact struct {
	SHA256 string `json:"sha256"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
}

// Release is one release record.
type Release struct {
	ID         string     `json:"id"`
	Version    string     `json:"version"`
	Type       string     `json:"type"`
	Status     string     `json:"status"`
	Title      string     `json:"title"`
	Notes      string     `json:"notes"`
	Resolves   []string   `json:"resolves"`   // problem ids, PRB-n
	Components []string   `json:"components"` // component refs, CI@VERSION
	Artifacts  []Artifact `json:"artifacts"`
	Tag        string     `json:"tag"`    // git tag recorded by SetTag ("" until tagged)
	Commit     string     `json:"commit"` // the commit the tag points at
	Revision   int64      `json:"revision"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Validate checks the fields a person sets and normalises the lists.
// Returns Invalid naming the field.
func (r *Release) Validate() error {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(r.Version, "v"))
	if err != nil {
		return fault.Field("version", "%q is not a semantic version (e.g. 1.4.3)", r.Version)
	}
	r.Version = v.String()
	if !slices.Contains(Types, r.Type) {
		return fault.Field("type", "must be one of %s, got %q", strings.Join(Types, ", "), r.Type)
	}
	if len(r.Title) > 200 {
		return fault.Field("title", "is longer than 200 characters")
	}
	for i, p := range r.Resolves {
		n, err := ident.Problem.Parse("resolves", p)
		if err != nil {
			return err
		}
		r.Resolves[i] = ident.Problem.Format(n)
	}
	if r.Type == ProblemFix && len(r.Resolves) == 0 {
		return fault.Field("resolves", "a problem-fix release must name the problems it resolves")
	}
	for i, c := range r.Components {
		name, ver, err := ci.ParseRef("components", c)
		if err != nil {
			return err
		}
		r.Components[i] = name + "@" + ver
	}
	r.Resolves = sortedUnique(r.Resolves)
	r.Components = sortedUnique(r.Components)
	if r.Artifacts == nil {
		r.Artifacts = []Artifact{}
	}
	return nil
}

func sortedUnique(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Move applies a lifecycle move. Returns Conflict for an illegal move.
func (r *Release) Move(to string) error {
	if err := Machine.Check(r.Status, to); err != nil {
		return err
	}
	r.Status = to
	return nil
}

package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/ci"
	"fixgate/internal/policy"
)

// resolver walks component versions and their dependencies depth first,
// choosing for each dependency the release's own version of that CI, or the
// highest catalogue version satisfying the constraint (as a package manager
// would). Each version is checked once; a cycle is reported, not followed.
type resolver struct {
	allowed []string
	own     map[string]*Component
	raw     map[string][]Component
	sv      *semvers
	memo    map[dependency]*Component // the version chosen for a dependency
	state   map[[2]string]int8        // {ci, version} → 1 on the current path, 2 done
	path    []*Component
	cycles  map[string]bool
	out     []Result
	deps    int
}

// dependency is a CI and a constraint on its version.
type dependency struct{ ci, constraint string }

func newResolver(in *Input, allowed []string) *resolver {
	r := &resolver{allowed: allowed, own: make(map[string]*Component, len(in.Components)), raw: in.Catalogue, sv: in.semver(),
		memo: make(map[dependency]*Component, len(in.Catalogue)), state: make(map[[2]string]int8, len(in.Catalogue)+len(in.Components)),
		cycles: map[string]bool{}}
	for i := range in.Components {
		r.own[in.Components[i].CI] = &in.Components[i]
	}
	return r
}

// best returns the highest catalogue version of name that satisfies con.
func (r *resolver) best(name string, con *semver.Constraints) (*Component, bool) {
	var top *Component
	var topV *semver.Version
	vs := r.raw[name]
	for i := range vs {
		v := r.sv.version(vs[i].Version)
		if v == nil || !con.Check(v) || topV != nil && !v.GreaterThan(topV) {
			continue
		}
		top, topV = &vs[i], v
	}
	return top, top != nil
}

// semvers parses each version and each constraint once per evaluation
// (nil: not a version, not a constraint).
type semvers struct {
	versions    map[string]*semver.Version
	constraints map[string]*semver.Constraints
}

// semver returns the evaluation's parsed versions and constraints.
func (in *Input) semver() *semvers {
	if in.semvers == nil {
		in.semvers = &semvers{versions: map[string]*semver.Version{}, constraints: map[string]*semver.Constraints{}}
	}
	return in.semvers
}

// version parses s as a semantic version, leniently (v1.2, 1.2.3.4 is not).
func (sv *semvers) version(s string) *semver.Version {
	v, ok := sv.versions[s]
	if !ok {
		var err error
		if v, err = semver.StrictNewVersion(s); err != nil {
			v, _ = semver.NewVersion(s)
		}
		sv.versions[s] = v
	}
	return v
}

func (sv *semvers) constraint(s string) *semver.Constraints {
	c, ok := sv.constraints[s]
	if !ok {
		c, _ = semver.NewConstraint(s)
		sv.constraints[s] = c
	}
	return c
}

// trail renders the current path plus c: "a@1.0.0 → b@2.1.0".
func (r *resolver) trail(c *Component) string {
	parts := make([]string, 0, len(r.path)+1)
	for _, p := range r.path {
		parts = append(parts, p.Ref())
	}
	return strings.Join(append(parts, c.Ref()), " → ")
}

func (r *resolver) visit(c *Component) {
	key := [2]string{c.CI, c.Version}
	switch r.state[key] {
	case 2:
		return
	case 1:
		r.cycle(c)
		return
	}
	if len(r.path) > 0 {
		r.deps++
	}
	if !slices.Contains(r.allowed, c.Status) {
		r.out = append(r.out, fail(idOr(c.ID, c.Ref()), "%s (%s)", r.trail(c), orDash(c.Status)))
	}
	r.state[key] = 1
	r.path = append(r.path, c)
	for _, d := range c.Dependencies {
		if next, ok := r.resolve(c, d); ok {
			r.visit(next)
		}
	}
	r.path = r.path[:len(r.path)-1]
	r.state[key] = 2
}

// cycle reports the cycle closed by c once, however often it is reached.
func (r *resolver) cycle(c *Component) {
	i := slices.IndexFunc(r.path, func(p *Component) bool { return p.Ref() == c.Ref() })
	loop := append(slices.Clone(r.path[i:]), c)
	refs := make([]string, 0, len(loop))
	records := []string{}
	for _, p := range loop {
		refs = append(refs, p.Ref())
	}
	for _, p := range loop[:len(loop)-1] {
		records = append(records, idOr(p.ID, p.Ref())...)
	}
	key := slices.Clone(refs[:len(refs)-1])
	slices.Sort(key)
	if r.cycles[strings.Join(key, " ")] {
		return
	}
	r.cycles[strings.Join(key, " ")] = true
	r.out = append(r.out, fail(records, "dependency cycle: %s", strings.Join(refs, " → ")))
}

// resolve picks the version that satisfies dependency d of c.
func (r *resolver) resolve(c *Component, d ci.Dependency) (*Component, bool) {
	con := r.sv.constraint(d.Constraint)
	where := func() string { return r.trail(c) + " → " + d.CI + " " + d.Constraint }
	if con == nil {
		r.out = append(r.out, fail(idOr(c.ID, c.Ref()), "%s: %q is not a semver constraint", where(), d.Constraint))
		return nil, false
	}
	if own, ok := r.own[d.CI]; ok {
		if v := r.sv.version(own.Version); v == nil || !con.Check(v) {
			r.out = append(r.out, fail(idOr(own.ID, own.Ref()), "%s: the release ships %s, which does not satisfy it", where(), own.Ref()))
			return nil, false
		}
		return own, true
	}
	key := dependency{d.CI, d.Constraint}
	if c, ok := r.memo[key]; ok {
		return c, true
	}
	if c, ok := r.best(d.CI, con); ok {
		r.memo[key] = c
		return c, true
	}
	r.out = append(r.out, fail(idOr(c.ID, c.Ref()), "%s: no known version of %s satisfies the constraint", where(), d.CI))
	return nil, false
}

// ruleComponentApproval (rule 4): every component version and every
// transitive dependency has an allowed status (approved by default). A
// failure names the path to the offending version.
func ruleComponentApproval(pol *policy.Policy, in *Input, _ time.Time) []Result {
	allowed := pol.Gate.Rules.ComponentApproval.AllowedStatuses
	r := newResolver(in, allowed)
	for i := range in.Components {
		if slices.Contains(in.Release.Components, in.Components[i].Ref()) {
			r.visit(&in.Components[i])
		}
	}
	if len(r.out) > 0 {
		return r.out
	}
	return pass("all %d component versions and their %d transitive dependencies are %s",
		len(in.Release.Components), r.deps, strings.Join(allowed, " or "))
}

// ruleSegregation (rule 5): a problem-fix release ships only components of
// CIs its problems affect; a mixed release needs the extra approval the
// policy names (approvals.mixed_release) on its current revision.
func ruleSegregation(pol *policy.Policy, in *Input, _ time.Time) []Result {
	switch in.Release.Type {
	case "problem-fix":
		affected := map[string]bool{}
		for _, p := range resolvedProblems(in) {
			for _, c := range p.CIs {
				affected[c] = true
			}
		}
		var unrelated []string
		for _, ref := range in.Release.Components {
			if name, _, _ := cutRef(ref); !affected[name] {
				unrelated = append(unrelated, ref)
			}
		}
		if len(unrelated) > 0 {
			return []Result{fail(unrelated, "%s is a problem-fix release but ships %s, which none of its problems affects; remove it or make the release mixed",
				in.Release.ID, strings.Join(unrelated, ", "))}
		}
		return pass("every component of %s belongs to a CI its problems affect", in.Release.ID)
	case "mixed":
		role := pol.Approvals.MixedRelease
		set := classify(in)
		for _, a := range set.current {
			if holds(a, role) {
				r := pass("mixed release %s carries the extra approval of %s as %s", in.Release.ID, a.Approver, role)
				r[0].Records = idOr(a.ID, a.Record)
				return r
			}
		}
		return []Result{fail([]string{in.Release.ID}, "%s mixes fixes and features; it needs an approval by a %s on its current revision",
			in.Release.ID, role)}
	}
	return pass("%s is a %s release: no fix to keep apart", in.Release.ID, orDash(in.Release.Type))
}

// ruleSemver (rule 6): each component of a problem-fix release is a patch
// bump over the version live in the environment (or an upgrade at all when
// semver.require_patch_bump is false).
func ruleSemver(pol *policy.Policy, in *Input, _ time.Time) []Result {
	if in.Release.Type != "problem-fix" {
		return pass("%s is a %s release: the patch-bump rule applies to problem-fix releases", in.Release.ID, orDash(in.Release.Type))
	}
	patchOnly := pol.Gate.Rules.Semver.RequirePatchBump
	var out []Result
	for _, ref := range in.Release.Components {
		name, ver, _ := cutRef(ref)
		live, ok := in.Live[name]
		if !ok || live == "" {
			out = append(out, Result{Result: Warn, Records: []string{ref},
				Reason: fmt.Sprintf("%s is not live in %s; there is no version to compare the patch bump with", name, in.Environment.Name)})
			continue
		}
		nv, lv := in.semver().version(ver), in.semver().version(live)
		if nv == nil || lv == nil {
			out = append(out, Result{Result: Fail, Undecided: true, Records: []string{ref},
				Reason: fmt.Sprintf("cannot compare %s with live %s@%s: not semantic versions", ref, name, live)})
			continue
		}
		if msg := bumpProblem(nv, lv, patchOnly); msg != "" {
			out = append(out, fail([]string{ref}, "%s@%s → %s: %s", name, live, ver, msg))
		}
	}
	if len(out) > 0 {
		return out
	}
	what := "a patch bump"
	if !patchOnly {
		what = "an upgrade"
	}
	return pass("every component is %s over the version live in %s", what, in.Environment.Name)
}

// bumpProblem says why next is not an acceptable fix over live, "" if it is.
func bumpProblem(next, live *semver.Version, patchOnly bool) string {
	switch {
	case next.Equal(live):
		return "this version is already live"
	case next.LessThan(live):
		return "a downgrade"
	case !patchOnly:
		return ""
	case next.Major() != live.Major():
		return "a major bump; a problem-fix must be a patch bump"
	case next.Minor() != live.Minor():
		return "a minor bump; a problem-fix must be a patch bump"
	}
	return ""
}

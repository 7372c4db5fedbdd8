package release

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
)

// fuzzFacts decodes a random graph from data: each byte pair adds an edge
// (dependant, dependency, kind, constraint); versions and affected CIs
// come from the first bytes. Cycles and self-loops are allowed.
func fuzzFacts(data []byte) PlanFacts {
	const n = 12
	cis := make([]PlanCI, n)
	for i := range cis {
		cis[i] = PlanCI{Name: fmt.Sprintf("c%02d", i), Version: fmt.Sprintf("1.%d.0", i%3)}
	}
	if len(data) > 0 && data[0]%5 == 0 {
		cis[1].Version = "" // a CI without a version
	}
	constraints := []string{"^1", "=1.0.0", "~1.1", ">=2", "*"}
	for i := 0; i+1 < len(data); i += 2 {
		a, b := int(data[i])%n, int(data[i+1])%n
		kind := []string{ci.Embeds, ci.Calls}[data[i]>>7]
		cis[a].Dependencies = append(cis[a].Dependencies, ci.Dependency{CI: cis[b].Name, Kind: kind,
			Constraint: constraints[int(data[i+1]>>4)%len(constraints)]})
	}
	affected := map[string][]string{}
	for i := 0; i < len(data) && i < 3; i++ {
		affected[cis[int(data[i])%n].Name] = []string{"PRB-1"}
	}
	return PlanFacts{CIs: cis, Affected: affected}
}

// FuzzPlan: on any graph Plan ends without a panic, and either reports a
// cycle (Conflict) or lists each CI once, every affected CI included, each
// after the items it depends on, with a reason.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{0, 1, 1, 2, 2, 0})
	f.Add([]byte{3, 4, 130, 5, 6, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		facts := fuzzFacts(data)
		items, err := Plan(facts)
		if err != nil {
			if fault.CodeOf(err) != fault.Conflict {
				t.Fatalf("only a cycle may fail: %v", err)
			}
			return
		}
		pos := map[string]int{}
		for i, it := range items {
			if _, dup := pos[it.CI]; dup {
				t.Fatalf("%s twice", it.CI)
			}
			pos[it.CI] = i
			if it.Reason == "" {
				t.Fatalf("%s without a reason", it.CI)
			}
		}
		for a := range facts.Affected {
			if _, ok := pos[a]; !ok {
				t.Fatalf("affected %s missing", a)
			}
		}
		for _, it := range items {
			for _, d := range it.DependsOn {
				if p, ok := pos[d]; !ok || p >= pos[it.CI] {
					t.Fatalf("%s depends on %s, which is not before it: %+v", it.CI, d, items)
				}
			}
		}
	})
}

// FuzzNextPatch: any input either is refused naming "version" or yields
// a version one patch above it on the same major and minor, which a
// release accepts and SetTag tags v<version>.
func FuzzNextPatch(f *testing.F) {
	for _, s := range []string{"1.4.2", "0.0.0", "1.2", "v1.2.3", "1.2.3-rc.1", "1.2.3+build", "01.2.3", "99999999999999999999.0.0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		next, err := NextPatch(s)
		if err != nil {
			if fe := fault.As(err); fe == nil || fe.Field != "version" {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		cur, nv := semver.MustParse(s), semver.MustParse(next)
		if nv.Major() != cur.Major() || nv.Minor() != cur.Minor() || !nv.GreaterThan(cur) || !Higher(next, s) || Higher(s, next) {
			t.Fatalf("%q → %q is not the next patch", s, next)
		}
		r := Release{ID: "REL-1", Version: next, Type: Feature}
		if err := r.Validate(); err != nil || r.Version != next {
			t.Fatalf("%q: a release refuses %q: %v", s, next, err)
		}
		if changed, err := r.SetTag("v"+next, strings.Repeat("a", 40)); !changed || err != nil || r.Tag != TagName(next) {
			t.Fatalf("%q: tag %v %v", next, changed, err)
		}
	})
}

package store

import (
	"context"
	"slices"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

// checkVersionBump refuses, with Invalid naming "version", an explicit
// release version that is not above its line's latest: the highest version
// live in a production-tier environment among the release's CIs (those its
// problems affect and those of its components), or, when none is live, the
// highest release (not canceled) holding a version of one of them — the
// basis NextReleaseVersion bumps. A release with no such basis (a first
// release) passes. Unknown problems are left to releaseRefs.
func (tx *Tx) checkVersionBump(ctx context.Context, r *release.Release) error {
	cis, err := tx.releaseLine(ctx, r)
	if err != nil || len(cis) == 0 {
		return err
	}
	live, err := liveInProduction(ctx, tx.tx, cis)
	if err != nil {
		return err
	}
	var basis, why string
	for _, c := range cis {
		if l, ok := live[c]; ok && (basis == "" || release.Higher(l.Version, basis)) {
			basis, why = l.Version, c+"@"+l.Version+" live in "+l.Env
		}
	}
	if basis == "" {
		basis, why, err = latestReleaseOf(ctx, tx.tx, cis)
		if fe := fault.As(err); fe != nil && fe.Field == "next" {
			return nil // nothing released yet: any version starts the line
		}
		if err != nil {
			return err
		}
	}
	if release.Higher(r.Version, basis) {
		return nil
	}
	next, _ := release.NextPatch(basis)
	return fault.Field("version", "%s is not a bump over %s: a release's version must be higher than its line's latest (the next patch is %s; or pass next)",
		r.Version, why, next)
}

// releaseLine returns the CIs of r's line, sorted: those its problems
// affect and those of its components.
func (tx *Tx) releaseLine(ctx context.Context, r *release.Release) ([]string, error) {
	var cis []string
	for _, p := range r.Resolves {
		id, err := ident.Problem.Parse("resolves", p)
		if err != nil {
			return nil, err
		}
		pc, err := problemCIs(ctx, tx.tx, id)
		if err != nil {
			return nil, err
		}
		cis = append(cis, pc...)
	}
	for _, c := range r.Components {
		name, _, _ := strings.Cut(c, "@")
		cis = append(cis, name)
	}
	slices.Sort(cis)
	return slices.Compact(cis), nil
}

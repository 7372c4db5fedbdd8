package release

import (
	"fmt"
	"strings"

	"fixgate/internal/fault"
)

// TagName is the git tag of a release version: "v" and the version.
func TagName(version string) string { return "v" + version }

// SetTag records that git tag points at commit (hex object id). The tag
// must be TagName of the release's version, and a tag is never moved: a
// release already tagged otherwise is a Conflict, the same tag and commit
// again change nothing (false). Returns Invalid naming "tag" or "commit",
// Conflict for a canceled release.
func (r *Release) SetTag(tag, commit string) (bool, error) {
	if want := TagName(r.Version); tag != want {
		return false, fault.Field("tag", "release %s is version %s; its tag is %s, not %q", r.ID, r.Version, want, tag)
	}
	if !hexID(commit) {
		return false, fault.Field("commit", "%q is not a commit id (40 or 64 lower-case hex digits)", commit)
	}
	if r.Tag == tag && r.Commit == commit {
		return false, nil
	}
	if r.Tag != "" {
		return false, fault.Conflictf("release %s is already tagged %s at %s; a tag is never moved", r.ID, r.Tag, r.Commit)
	}
	if r.Status == Canceled {
		return false, fault.Conflictf("release %s is canceled; it is not tagged", r.ID)
	}
	r.Tag, r.Commit = tag, commit
	return true, nil
}

func hexID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// TagProblem is a resolved problem as a tag message lists it.
type TagProblem struct {
	ID    string
	Title string
	CIs   []string
}

// TagMessage is the annotated tag's message: the release, the problems it
// resolves with their titles, and the CIs those problems affect (sorted,
// once each).
func TagMessage(r Release, problems []TagProblem) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Release %s %s", r.ID, r.Version)
	if r.Title != "" {
		fmt.Fprintf(&b, ": %s", r.Title)
	}
	b.WriteString("\n\nResolves:\n")
	var cis []string
	for _, p := range problems {
		fmt.Fprintf(&b, "- %s %s\n", p.ID, p.Title)
		cis = append(cis, p.CIs...)
	}
	if len(problems) == 0 {
		b.WriteString("- (none)\n")
	}
	b.WriteString("\nAffected CIs:\n")
	for _, c := range sortedUnique(cis) {
		fmt.Fprintf(&b, "- %s\n", c)
	}
	if len(cis) == 0 {
		b.WriteString("- (none)\n")
	}
	return b.String()
}

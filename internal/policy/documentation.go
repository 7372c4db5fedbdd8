package policy

import (
	"fmt"
	"slices"
	"strings"

	"fixgate/internal/release"
)

// DocumentsFor returns the artifact kinds a release of risk class class
// must carry under the documentation rule, sorted; none when the policy
// names nothing for the class.
func (d Documentation) DocumentsFor(class string) []string {
	out := slices.Clone(d.Required[class])
	slices.Sort(out)
	return slices.Compact(out)
}

// validDocumentation checks gate.rules.documentation.required: its keys
// are risk classes, its values artifact kinds.
func validDocumentation(req map[string][]string) error {
	const path = "gate.rules.documentation.required"
	for class, kinds := range req {
		if RiskRank(class) < 0 {
			return bad(path, "keys must be risk classes (%s), got %q", strings.Join(RiskClasses, ", "), class)
		}
		for i, k := range kinds {
			if !slices.Contains(release.ArtifactKinds, k) {
				return bad(fmt.Sprintf("%s.%s[%d]", path, class, i), "must be an artifact kind (%s), got %q",
					strings.Join(release.ArtifactKinds, ", "), k)
			}
		}
	}
	return nil
}

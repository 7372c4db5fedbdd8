package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"fixgate/internal/fault"
)

// ArtifactKinds are the roles an artifact plays in a release.
var ArtifactKinds = []string{"rca", "sbom", "package", "test_report", "rollback_plan", "other"}

// CheckEditable returns Conflict unless the release is still planned: its
// content (title, notes, problems, components) is what gets approved.
func (r *Release) CheckEditable() error {
	if r.Status != Planned {
		return fault.Conflictf("release %s is %s; only a planned release can be edited (move it back to planned first, where its lifecycle allows)", r.ID, r.Status)
	}
	return nil
}

// Attach adds an uploaded artifact under kind. Packages change what is
// deployed, so they attach only while planned; evidence (rca, sbom,
// test_report, rollback_plan, other) attaches in any state but canceled. Returns Invalid naming "kind",
// Conflict when the artifact is already attached under another kind, and
// false (no change) when it is already attached under the same kind.
func (r *Release) Attach(a Artifact) (bool, error) {
	if !slices.Contains(ArtifactKinds, a.Kind) {
		return false, fault.Field("kind", "must be one of %s, got %q", strings.Join(ArtifactKinds, ", "), a.Kind)
	}
	for _, x := range r.Artifacts {
		if x.SHA256 == a.SHA256 {
			if x.Kind == a.Kind {
				return false, nil
			}
			return false, fault.Conflictf("artifact %s is already attached to %s as %s", a.SHA256, r.ID, x.Kind)
		}
	}
	if r.Status == Canceled {
		return false, fault.Conflictf("release %s is canceled; nothing can be attached", r.ID)
	}
	if a.Kind == "package" && r.Status != Planned {
		return false, fault.Conflictf("release %s is %s; packages attach only while it is planned", r.ID, r.Status)
	}
	r.Artifacts = append(r.Artifacts, a)
	return true, nil
}

// Fingerprint identifies what an approval of the release approves: its
// version, type, resolved problems, component versions and attached
// packages (the bytes deployed). Title, notes, evidence artifacts and the
// lifecycle status are not part of it, so a lifecycle move keeps approvals
// current while a content edit voids them. Hex SHA-256 of a canonical encoding.
func (r Release) Fingerprint() string {
	var packages []string
	for _, a := range r.Artifacts {
		if a.Kind == "package" {
			packages = append(packages, a.SHA256)
		}
	}
	return fingerprint(map[string]any{"version": r.Version, "type": r.Type, "resolves": sortedUnique(r.Resolves),
		"components": sortedUnique(r.Components), "packages": sortedUnique(packages)})
}

// fingerprint hashes v's JSON encoding (map keys are sorted by encoding/json).
func fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // strings and string slices always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

package release

import (
	"github.com/Masterminds/semver/v3"

	"fixgate/internal/fault"
)

// NextPatch returns the next patch version over basis ("1.4.2" → "1.4.3").
// Returns Invalid naming "version" when basis is not a semantic version.
func NextPatch(basis string) (string, error) {
	v, err := semver.StrictNewVersion(basis)
	if err != nil {
		return "", fault.Field("version", "%q is not a semantic version to bump", basis)
	}
	return v.IncPatch().String(), nil
}

// Higher reports whether version a is above b; a version that does not
// parse is below every one that does.
func Higher(a, b string) bool {
	va, errA := semver.StrictNewVersion(a)
	vb, errB := semver.StrictNewVersion(b)
	switch {
	case errA != nil:
		return false
	case errB != nil:
		return true
	}
	return va.GreaterThan(vb)
}

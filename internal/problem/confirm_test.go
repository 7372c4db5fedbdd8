package problem

import (
	"strings"
	"testing"

	"fixgate/internal/fault"
)

func TestCheckConfirmer(t *testing.T) {
	p := &Problem{ID: "PRB-1", Status: Resolved, ResolvedBy: "rita", RCA: RCARecord{Author: "ann", Summary: "x"}}
	team := FixTeam{ReleaseCreators: []string{"rel"}, ChangeRequesters: []string{"chg", "ann"}}
	for user, want := range map[string]string{"rel": "created a release", "chg": "requested a change", "rita": "resolved it",
		"ann": "requested a change for such a release, wrote its root cause analysis"} {
		err := CheckConfirmer(user, p, team)
		if fault.CodeOf(err) != fault.Forbidden || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want Forbidden mentioning %q", user, err, want)
		}
	}
	if err := CheckConfirmer("val", p, team); err != nil {
		t.Fatalf("independent validator: %v", err)
	}
	p.Status = FixInProgress
	if err := CheckConfirmer("val", p, team); fault.CodeOf(err) != fault.PreconditionFailed {
		t.Fatalf("unresolved: %v", err)
	}
}

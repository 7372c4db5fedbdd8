package pir

import (
	"slices"
	"testing"

	"fixgate/internal/fault"
)

// TestSetFindingTags: tags are trimmed, sorted and deduplicated; a tag
// outside the policy's root cause categories, an empty one or too many are
// refused naming finding_tags and leave the review as it was.
func TestSetFindingTags(t *testing.T) {
	cats := []string{"code_defect", "testing_gap", "environment_inconsistency"}
	p := PIR{Problem: "PRB-1", FindingTags: []string{"code_defect"}}
	if err := p.SetFindingTags([]string{" testing_gap", "environment_inconsistency", "testing_gap"}, cats); err != nil {
		t.Fatal(err)
	}
	if want := []string{"environment_inconsistency", "testing_gap"}; !slices.Equal(p.FindingTags, want) {
		t.Fatalf("tags %q, want %q", p.FindingTags, want)
	}
	many := make([]string, MaxTags+1)
	for i := range many {
		many[i] = "code_defect"
	}
	for name, bad := range map[string][]string{"unknown": {"testing_gap", "flaky_tests"}, "empty": {" "}, "too many": many} {
		if fe := fault.As(p.SetFindingTags(bad, cats)); fe == nil || fe.Field != "finding_tags" {
			t.Errorf("%s: %v", name, fe)
		}
		if len(p.FindingTags) != 2 {
			t.Errorf("%s: refused tags changed the review: %q", name, p.FindingTags)
		}
	}
	if err := p.SetFindingTags(nil, cats); err != nil || p.FindingTags == nil || len(p.FindingTags) != 0 {
		t.Fatalf("clearing: %q %v", p.FindingTags, err)
	}
	q := PIR{Problem: "PRB-1", FindingTags: []string{"b", "a", "b"}}
	if err := q.Validate(); err != nil || !slices.Equal(q.FindingTags, []string{"a", "b"}) {
		t.Fatalf("validate normalises tags: %q %v", q.FindingTags, err)
	}
}

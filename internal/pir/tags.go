package pir

import (
	"slices"
	"strings"

	"fixgate/internal/fault"
)

// MaxTags is the most finding tags one review carries.
const MaxTags = 20

// SetFindingTags replaces the review's finding tags with tags, each a
// category of categories: the policy's root cause taxonomy
// (root_cause_categories), the one list both a problem's root cause and a
// failure's cause pick from. Tags are trimmed, sorted and deduplicated.
// Returns Invalid naming "finding_tags" for an unknown or empty tag, or too
// many; nothing changes then.
func (p *PIR) SetFindingTags(tags, categories []string) error {
	out, err := normTags(tags)
	if err != nil {
		return err
	}
	for _, t := range out {
		if !slices.Contains(categories, t) {
			return fault.Field("finding_tags", "unknown finding tag %q: a tag is a root cause category of the policy (%s)",
				t, strings.Join(categories, ", "))
		}
	}
	p.FindingTags = out
	return nil
}

// normTags trims, sorts and deduplicates tags (never nil). Returns Invalid
// naming "finding_tags" for an empty tag or more than MaxTags.
func normTags(tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, fault.Field("finding_tags", "at most %d tags, got %d", MaxTags, len(tags))
	}
	out := make([]string, 0, len(tags))
	for i, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			return nil, fault.Field("finding_tags", "tag %d is empty", i)
		}
		out = append(out, t)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

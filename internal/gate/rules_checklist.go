package gate

import (
	"fmt"
	"strings"
	"time"

	"fixgate/internal/change"
	"fixgate/internal/policy"
)

// ChecklistItem is one item of the change's checklist as the gate sees it:
// the item, where it came from (policy, or the PIR-n that added it) and,
// when ticked, who attested it, when and with what evidence.
type ChecklistItem = change.ChecklistEntry

// ruleChecklist (rule 15): every item of the change's checklist is ticked.
// The checklist is what the store gathered into change.checklist: the
// items of the change model that apply to the change (the list frozen when
// the change was approved, else the policy's items plus those completed
// reviews added). A release with no change, or a change whose model has no
// checklist, passes with a line saying so. One Fail line per item not
// ticked; an approved checklist deviation turns them into warnings.
func ruleChecklist(_ *policy.Policy, in *Input, _ time.Time) []Result {
	c := in.Change
	if c == nil {
		return pass("%s has no change: there is no checklist to tick", in.Release.ID)
	}
	if len(c.Checklist) == 0 {
		if c.Model == "" {
			return pass("%s names no change model: it has no checklist", c.ID)
		}
		return pass("change model %s of %s has no checklist items", c.Model, c.ID)
	}
	dev := covering(in, RuleChecklist)
	var out []Result
	var by []string
	for _, it := range c.Checklist {
		if it.Ticked {
			by = append(by, fmt.Sprintf("%q by %s", it.Item, orUnknown(it.TickedBy)))
			continue
		}
		reason := fmt.Sprintf("%q (%s) is not ticked on %s: %s", it.Item, sourceOf(it), c.ID, checkHint(c.ID, it.Item))
		if dev != nil {
			out = append(out, Result{Result: Warn, Records: append([]string{c.ID}, idOr(dev.ID, c.ID)...),
				Reason: fmt.Sprintf("%s; allowed by a deviation approved by %s: %s", reason, dev.ApprovedBy, dev.Reason)})
			continue
		}
		out = append(out, fail([]string{c.ID}, "%s", reason))
	}
	if len(out) > 0 {
		return out
	}
	frozen := ""
	if c.ChecklistFrozenAt != nil {
		frozen = ", frozen when it was approved at " + c.ChecklistFrozenAt.UTC().Format(time.RFC3339)
	}
	r := pass("all %d items of the checklist of %s (change model %q%s) are ticked: %s", len(c.Checklist), c.ID,
		c.Model, frozen, strings.Join(by, "; "))
	r[0].Records = []string{c.ID}
	return r
}

// checklistAuthors are the people who ticked an item of the change's
// checklist: an attestation is their work, so they do not approve it
// (rules 7 and 8 treat them as authors).
func checklistAuthors(c *Change) []Author {
	if c == nil {
		return nil
	}
	var out []Author
	for _, it := range c.Checklist {
		if it.Ticked && it.TickedBy != "" {
			out = append(out, Author{User: it.TickedBy, As: fmt.Sprintf("ticked %q on %s", it.Item, c.ID)})
		}
	}
	return out
}

func sourceOf(it ChecklistItem) string {
	if it.Source == "" || it.Source == change.SourcePolicy {
		return "the policy's change model"
	}
	return "added by " + it.Source
}

func checkHint(chg, item string) string {
	return fmt.Sprintf("fixgate change check %s --item %q --evidence …", chg, item)
}

func orUnknown(s string) string {
	if s == "" {
		return "someone unnamed"
	}
	return s
}

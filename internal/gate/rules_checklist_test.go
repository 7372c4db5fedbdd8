package gate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"fixgate/internal/gate"
)

// checklist gives the base change the memory-leak-patch model and its two
// policy items plus one a review added, ticked as told (by "" = not ticked).
func checklist(heap, soak, pool string) func(in *gate.Input) {
	return func(in *gate.Input) {
		in.Change.Model = "memory-leak-patch"
		in.Change.Checklist = []gate.ChecklistItem{
			item("heap profile before/after attached", "policy", heap),
			item("soak test of at least 24h passed", "policy", soak),
			item("connection pool metrics attached", "PIR-2", pool),
		}
	}
}

func item(text, source, by string) gate.ChecklistItem {
	it := gate.ChecklistItem{Item: text, Source: source}
	if by != "" {
		it.Ticked, it.TickedBy, it.TickedAt, it.Evidence = true, by, tp("2026-03-21T10:00:00Z"), "https://wiki.example/"+by
	}
	return it
}

func TestRuleChecklist(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "every item ticked", mutate: checklist("erin", "dave", "erin"), rule: "checklist", result: "pass", decision: "allowed",
			reason: `all 3 items of the checklist of CHG-4 (change model "memory-leak-patch") are ticked: "heap profile before/after attached" by erin; "soak test of at least 24h passed" by dave`},
		{name: "two items missing", mutate: checklist("erin", "", ""), rule: "checklist", result: "fail", decision: "blocked",
			reason: `"soak test of at least 24h passed" (the policy's change model) is not ticked on CHG-4: fixgate change check CHG-4 --item "soak test of at least 24h passed"`},
		{name: "an item a review added", mutate: checklist("erin", "dave", ""), rule: "checklist", result: "fail", decision: "blocked",
			reason: `"connection pool metrics attached" (added by PIR-2) is not ticked on CHG-4`},
		{name: "frozen at approval", mutate: func(in *gate.Input) {
			checklist("erin", "dave", "erin")(in)
			in.Change.ChecklistFrozenAt = tp("2026-03-20T09:00:00Z")
		}, rule: "checklist", result: "pass", decision: "allowed", reason: "frozen when it was approved at 2026-03-20T09:00:00Z"},
		{name: "no change", mutate: func(in *gate.Input) { in.Change = nil },
			rule: "checklist", result: "pass", decision: "allowed", reason: "REL-7 has no change: there is no checklist to tick"},
		{name: "no change model", rule: "checklist", result: "pass", decision: "allowed", reason: "CHG-4 names no change model: it has no checklist"},
		{name: "a model without items", mutate: func(in *gate.Input) { in.Change.Model = "config-correction" },
			rule: "checklist", result: "pass", decision: "allowed", reason: "change model config-correction of CHG-4 has no checklist items"},
		{name: "deviation turns it into a warning", mutate: func(in *gate.Input) {
			checklist("", "dave", "erin")(in)
			in.Change.Deviations = []gate.Deviation{{ID: "CHG-4#1", Rule: "checklist", Reason: "profile lost with the old cluster", ApprovedBy: "paula"}}
		}, rule: "checklist", result: "warn", decision: "allowed", reason: "allowed by a deviation approved by paula: profile lost with the old cluster"},
		{name: "severity warn", policy: "gate: {rules: {checklist: {severity: warn}}}", mutate: checklist("", "", ""),
			rule: "checklist", result: "warn", decision: "allowed", reason: "is not ticked on CHG-4"},
		{name: "disabled", policy: "gate: {rules: {checklist: {enabled: false}}}", mutate: checklist("", "", ""),
			rule: "checklist", result: "skip", decision: "allowed", reason: "disabled by the policy"},
		{name: "a ticker's approval does not count", mutate: checklist("carol", "dave", "erin"),
			rule: "separation_of_duties", result: "fail", decision: "blocked", reason: `carol approved REL-7 but ticked "heap profile before/after attached" on CHG-4; that approval does not count`},
	})
}

// One failing line per missing item, each naming the change.
func TestRuleChecklistOneLinePerMissingItem(t *testing.T) {
	in := base()
	checklist("", "", "erin")(&in)
	v := gate.Evaluate(mustPolicy(t, ""), in, sundayNight)
	var lines []gate.Result
	for _, r := range v.Rules {
		if r.Rule == gate.RuleChecklist {
			lines = append(lines, r)
		}
	}
	if len(lines) != 2 || lines[0].Result != gate.Fail || lines[1].Result != gate.Fail ||
		!strings.Contains(lines[0].Reason, "heap profile") || !strings.Contains(lines[1].Reason, "soak test") {
		t.Fatalf("checklist lines %+v, want one failing line per missing item:%s", lines, dump(v))
	}
	for _, l := range lines {
		if len(l.Records) != 1 || l.Records[0] != "CHG-4" {
			t.Errorf("records %v, want [CHG-4]", l.Records)
		}
	}
}

// Custom rules see change.checklist as a list, never null, and Evaluate
// leaves the caller's nil list alone.
func TestChecklistInTheInputDocument(t *testing.T) {
	pol := mustPolicy(t, "gate: {custom: [{name: c, expr: \"size(change.checklist) == 0\", message: no}]}")
	in := base()
	before, _ := json.Marshal(in)
	v := gate.Evaluate(pol, in, sundayNight)
	if got := v.RuleResult("custom:c"); got != gate.Pass {
		t.Fatalf("custom rule over change.checklist = %s:%s", got, dump(v))
	}
	if after, _ := json.Marshal(in); string(after) != string(before) || in.Change.Checklist != nil {
		t.Errorf("Evaluate changed its input:\n%s\n%s", before, after)
	}
	pol = mustPolicy(t, "gate: {custom: [{name: c, expr: \"change.checklist.all(i, i.ticked && i.evidence != '')\", message: no evidence}]}")
	checklist("erin", "dave", "erin")(&in)
	if got := gate.Evaluate(pol, in, sundayNight).RuleResult("custom:c"); got != gate.Pass {
		t.Fatalf("custom rule over ticked items = %s", got)
	}
}

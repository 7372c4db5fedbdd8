package gate_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"fixgate/internal/gate"
)

// TestPreparedEqualsEvaluate: a Prepared made once and finished for many
// times gives exactly what Evaluate gives for each time, for inputs with and
// without deviations and policies whose custom rules do and do not read the
// time; and the time-reading results really change between the times
// (the reuse is not hiding a stale result).
func TestPreparedEqualsEvaluate(t *testing.T) {
	pol := mustPolicy(t, `gate:
  custom:
    - name: weekend
      expr: "at.getDayOfWeek('Europe/Berlin') != 6"
      message: no Saturday deployments
    - name: fresh
      expr: "now - at < duration('48h')"
      message: the planned time is too far in the past
    - name: small
      expr: "size(release.components) <= 5"
      message: too many components
    - name: broken
      expr: "10 / (size(release.components) - 1) > 2"
      message: never
      severity: warn
`)
	deviations := func(in *gate.Input) {
		in.Change.Deviations = []gate.Deviation{
			{ID: "DEV-2", Rule: "maintenance_window", Reason: "outage", ApprovedBy: "victor", From: tp("2026-03-24T00:00:00Z"), To: tp("2026-03-25T00:00:00Z")},
			{ID: "DEV-3", Rule: "separation_of_duties", Reason: "on call", ApprovedBy: "victor", From: tp("2026-03-24T00:00:00Z"), To: tp("2026-03-24T12:00:00Z")},
		}
		in.Approvals = append(in.Approvals, approval("APR-5", "REL-7", 2, "erin", "cab_member", "approve"))
	}
	inputs := map[string]gate.Input{"base": base(), "large": largeInput()}
	withDev := base()
	deviations(&withDev)
	inputs["deviations"] = withDev
	noChange := base()
	noChange.Change = nil
	inputs["no change"] = noChange
	times := []time.Time{sundayNight, ts("2026-03-24T11:00:00Z"), ts("2026-03-24T13:00:00Z"), ts("2026-03-26T11:00:00Z"),
		ts("2026-03-28T10:00:00Z"), ts("2026-03-29T01:59:00Z"), ts("2026-12-27T02:00:00Z")}
	now := ts("2026-03-24T12:30:00Z")
	for _, p := range []struct {
		name string
		yaml string
	}{{"default", ""}, {"custom", "x"}} {
		pl := mustPolicy(t, "")
		if p.yaml != "" {
			pl = pol
		}
		for name, in := range inputs {
			prep := gate.Prepare(pl, in)
			decisions := map[string]bool{}
			for _, at := range times {
				in.At = &at
				want := gate.Evaluate(pl, in, now)
				got := prep.Verdict(at, now)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("%s/%s at %s: Prepared differs from Evaluate (-want +got):\n%s", p.name, name, at, diff)
				}
				decisions[got.Decision+" "+reasonsOf(got, "maintenance_window")+reasonsOf(got, "custom:weekend")+reasonsOf(got, "custom:fresh")] = true
			}
			if len(decisions) < 3 {
				t.Fatalf("%s/%s: the times gave %d distinct answers; the test does not exercise timed rules", p.name, name, len(decisions))
			}
		}
	}
}

// TestPreparedKeepsUntimedCustomResults: a custom rule that never reads the
// clock is judged once; one that reads it is judged per verdict.
func TestPreparedKeepsUntimedCustomResults(t *testing.T) {
	pol := mustPolicy(t, "gate:\n  custom:\n    - name: early\n      expr: \"at < timestamp('2026-03-23T00:00:00Z')\"\n      message: too late\n")
	prep := gate.Prepare(pol, base())
	before := prep.Verdict(sundayNight, sundayNight)
	after := prep.Verdict(ts("2026-03-29T02:00:00Z"), sundayNight)
	if before.RuleResult("custom:early") != gate.Pass || after.RuleResult("custom:early") != gate.Fail {
		t.Fatalf("timed custom rule not re-run: %s / %s", reasonsOf(before, "custom:early"), reasonsOf(after, "custom:early"))
	}
}

package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/environment"
	"fixgate/internal/policy"
)

// ruleMaintenanceWindow (rule 9): the deployment time falls outside every
// freeze of the environment and, for the policy's tiers, inside one of its
// maintenance windows, computed in the window's time zone (DST included).
// An approved maintenance_window deviation covering the time turns a
// failure into a warning.
func ruleMaintenanceWindow(pol *policy.Policy, in *Input, _ time.Time) []Result {
	env := &in.Environment
	at := *in.At
	when := at.UTC().Format("2006-01-02 15:04 MST")
	dev := covering(in, RuleMaintenanceWindow)
	var out []Result
	excuse := func(records []string, reason string) {
		if dev != nil {
			out = append(out, Result{Result: Warn, Records: append(records, idOr(dev.ID, in.Change.ID)...),
				Reason: fmt.Sprintf("%s; allowed by a deviation approved by %s: %s", reason, dev.ApprovedBy, dev.Reason)})
			return
		}
		out = append(out, fail(records, "%s", reason))
	}
	if f, ok := env.FreezeAt(at); ok {
		excuse([]string{env.Name}, fmt.Sprintf("%s falls in freeze %q of %s (%s until %s)", when, f.Name, env.Name,
			orDash(f.Reason), f.End.UTC().Format("2006-01-02 15:04 MST")))
	}
	switch {
	case !slices.Contains(pol.Gate.Rules.MaintenanceWindow.Tiers, env.Tier):
		if len(out) == 0 {
			return pass("%s is outside every freeze; the %s tier needs no maintenance window", when, env.Tier)
		}
	case len(env.Windows) == 0:
		if len(out) == 0 {
			return pass("%s is outside every freeze; %s defines no maintenance window", when, env.Name)
		}
	default:
		if w, ok := env.WindowAt(at); ok {
			if len(out) == 0 {
				return pass("%s falls in maintenance window %s", when, describe(w, at))
			}
			break
		}
		ws := make([]string, len(env.Windows))
		for i, w := range env.Windows {
			ws[i] = describe(w, at)
		}
		excuse([]string{env.Name}, fmt.Sprintf("%s is outside every maintenance window of %s: %s", when, env.Name, strings.Join(ws, "; ")))
	}
	return out
}

// describe renders a window with the deployment time on its local clock:
// "sunday-night (sun 01:00–04:00 Europe/Berlin; it is sun 04:00 CEST there)".
func describe(w environment.Window, at time.Time) string {
	local := at
	if loc, err := environment.Location(w.TimeZone); err == nil {
		local = at.In(loc)
	}
	return fmt.Sprintf("%s (%s %s–%s %s; it is %s there)", w.Name, strings.Join(w.Days, ","), w.Start, w.End, w.TimeZone,
		strings.ToLower(local.Format("Mon"))+local.Format(" 15:04 MST"))
}

// ruleCanary (rule 10): a fix (a release that resolves problems) of the
// policy's minimum risk class or above, to an environment of the policy's
// tiers, follows a path whose first stage is named or tagged as a canary
// and carries less than all traffic.
func ruleCanary(pol *policy.Policy, in *Input, _ time.Time) []Result {
	rule := pol.Gate.Rules.Canary
	class, _, err := riskClass(pol, in)
	if err != nil {
		return []Result{{Result: Fail, Undecided: true, Records: []string{in.Release.ID},
			Reason: fmt.Sprintf("cannot compute the risk class: %v", err)}}
	}
	switch {
	case len(in.Release.Resolves) == 0:
		return pass("%s fixes no problem: canary-first applies to fixes", in.Release.ID)
	case !slices.Contains(rule.Tiers, in.Environment.Tier):
		return pass("canary-first does not apply to the %s tier", in.Environment.Tier)
	case policy.RiskRank(class) < policy.RiskRank(rule.MinRiskClass):
		return pass("risk class %s is below %s: a canary stage is not required", class, rule.MinRiskClass)
	case len(in.Path) == 0:
		return []Result{fail([]string{in.Release.ID}, "a %s-risk fix to %s must start with a %s stage; no deployment path is planned",
			class, in.Environment.Name, rule.StageTag)}
	}
	first := in.Path[0]
	if first.Name != rule.StageTag && !slices.Contains(first.Tags, rule.StageTag) {
		return []Result{fail([]string{in.Release.ID}, "a %s-risk fix to %s must start with a %s stage; the path starts with %q",
			class, in.Environment.Name, rule.StageTag, first.Name)}
	}
	if first.Weight >= 100 {
		return []Result{fail([]string{in.Release.ID}, "the %s stage %q takes %d%% of the traffic; a canary takes a part of it",
			rule.StageTag, first.Name, first.Weight)}
	}
	return pass("the %s-risk fix starts with %s stage %q at %d%%", class, rule.StageTag, first.Name, first.Weight)
}

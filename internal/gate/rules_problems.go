package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/environment"
	"fixgate/internal/policy"
	"fixgate/internal/problem"
)

// checkInput reports what makes the input unusable: each line is undecided.
func checkInput(in *Input) []Result {
	var out []Result
	bad := func(records []string, format string, args ...any) {
		out = append(out, Result{Rule: RuleInput, Result: Fail, Undecided: true, Records: orEmpty(records),
			Reason: fmt.Sprintf(format, args...)})
	}
	if in.Release.ID == "" {
		bad(nil, "the input names no release (release.id)")
	}
	if in.Environment.Name == "" || !slices.Contains(environment.Tiers, in.Environment.Tier) {
		bad(nil, "the input names no environment with a known tier (environment.name, environment.tier)")
	}
	have := map[string]bool{}
	for _, p := range in.Problems {
		have[p.ID] = true
	}
	for _, id := range in.Release.Resolves {
		if !have[id] {
			bad([]string{id}, "the release resolves %s but the input does not describe it (problems)", id)
		}
	}
	comps := map[string]bool{}
	for _, c := range in.Components {
		comps[c.Ref()] = true
	}
	for _, ref := range in.Release.Components {
		if _, _, ok := cutRef(ref); !ok {
			bad([]string{ref}, "release component %q is not CI@VERSION", ref)
		} else if !comps[ref] {
			bad([]string{ref}, "the release ships %s but the input does not describe it (components)", ref)
		}
	}
	for _, w := range in.Environment.Windows {
		if err := environment.CheckWindow(w); err != nil {
			bad([]string{in.Environment.Name}, "maintenance window %q of %s is invalid: %v", w.Name, in.Environment.Name, err)
		}
	}
	for _, a := range in.Approvals {
		if a.Decision != Approve && a.Decision != Reject {
			bad(idOr(a.ID, a.Record), "approval by %s on %s has decision %q (want approve or reject)", a.Approver, a.Record, a.Decision)
		}
	}
	return out
}

func cutRef(ref string) (name, version string, ok bool) {
	name, version, ok = strings.Cut(ref, "@")
	return name, version, ok && name != "" && version != ""
}

func idOr(id, fallback string) []string {
	if id != "" {
		return []string{id}
	}
	return []string{fallback}
}

func pass(format string, args ...any) []Result {
	return []Result{{Result: Pass, Reason: fmt.Sprintf(format, args...), Records: []string{}}}
}

func fail(records []string, format string, args ...any) Result {
	return Result{Result: Fail, Reason: fmt.Sprintf(format, args...), Records: orEmpty(records)}
}

// resolvedProblems returns the input's problems that the release resolves, in release order.
func resolvedProblems(in *Input) []Problem {
	byID := map[string]Problem{}
	for _, p := range in.Problems {
		byID[p.ID] = p
	}
	var out []Problem
	for _, id := range in.Release.Resolves {
		if p, ok := byID[id]; ok {
			out = append(out, p)
		}
	}
	return out
}

func ids(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

// ruleRCAValidated (rule 1): every resolved problem has a root cause
// validated by the policy's validator role. (That the validator is not the
// author is separation of duties, rule 7.)
func ruleRCAValidated(pol *policy.Policy, in *Input, _ time.Time) []Result {
	role := pol.Gate.Rules.RCAValidated.ValidatorRole
	probs := resolvedProblems(in)
	var out []Result
	for _, p := range probs {
		switch {
		case p.RCA.Category == "":
			out = append(out, fail([]string{p.ID}, "%s has no root cause analysis recorded", p.ID))
		case p.RCA.ValidatedBy == "":
			out = append(out, fail([]string{p.ID}, "the root cause of %s (%s) is not validated yet; a %s must validate it", p.ID, p.RCA.Category, role))
		case p.RCA.ValidatedRole != role:
			out = append(out, fail([]string{p.ID}, "the root cause of %s was validated by %s acting as %s, not as %s", p.ID, p.RCA.ValidatedBy, orDash(p.RCA.ValidatedRole), role))
		case !slices.Contains(pol.RootCauseCategories, p.RCA.Category):
			out = append(out, Result{Result: Warn, Records: []string{p.ID},
				Reason: fmt.Sprintf("the root cause category %q of %s is not in the policy's taxonomy", p.RCA.Category, p.ID)})
		}
	}
	if len(out) > 0 {
		return out
	}
	if len(probs) == 0 {
		return pass("the release resolves no problem")
	}
	r := pass("every problem the release resolves has a root cause validated by a %s", role)
	r[0].Records = ids(probs)
	return r
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ruleProblemState (rule 2): every resolved problem is in an allowed state
// (fix_in_progress by default); a problem-fix release resolves at least one.
// A problem that this very release resolved (its production deployment
// succeeded: problems[].resolved_by_release names it) passes while it is
// resolved, so the same fix rolls out to further environments without
// allowing resolved for every other release.
func ruleProblemState(pol *policy.Policy, in *Input, _ time.Time) []Result {
	allowed := pol.Gate.Rules.ProblemState.AllowedStatuses
	probs := resolvedProblems(in)
	if in.Release.Type == "problem-fix" && len(in.Release.Resolves) == 0 {
		return []Result{fail([]string{in.Release.ID}, "%s is a problem-fix release but resolves no problem", in.Release.ID)}
	}
	var out, own []Result
	var rest []Problem
	for _, p := range probs {
		switch {
		case fixedBy(p, in.Release.ID):
			own = append(own, Result{Result: Pass, Records: []string{p.ID, in.Release.ID},
				Reason: fmt.Sprintf("%s was resolved by %s: rolling the same fix out further", p.ID, in.Release.ID)})
		case !slices.Contains(allowed, p.Status):
			out = append(out, fail([]string{p.ID}, "%s is %s%s; a fix deploys only while its problem is %s",
				p.ID, p.Status, resolvedElsewhere(p, in.Release.ID), strings.Join(allowed, " or ")))
		default:
			rest = append(rest, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	if len(probs) == 0 {
		return pass("the release resolves no problem")
	}
	if len(rest) > 0 {
		r := pass("every problem the release resolves is %s", strings.Join(allowed, " or "))
		if len(own) > 0 {
			r = pass("every other problem the release resolves is %s", strings.Join(allowed, " or "))
		}
		r[0].Records = ids(rest)
		own = append(own, r...)
	}
	return own
}

// fixedBy reports whether problem p is resolved by release rel's own
// production deployment.
func fixedBy(p Problem, rel string) bool {
	return p.Status == problem.Resolved && rel != "" && p.ResolvedByRelease == rel
}

// resolvedElsewhere says, for a failing line of a resolved problem p, that
// release rel is not what resolved it.
func resolvedElsewhere(p Problem, rel string) string {
	switch {
	case p.Status != problem.Resolved:
		return ""
	case p.ResolvedByRelease != "":
		return " (resolved by " + p.ResolvedByRelease + ", not by " + rel + ")"
	}
	return " (not by a deployment of " + rel + ")"
}

// ruleOpenProblems (rule 3): no open problem of the configured priority or
// higher is attached to the environment, to the release's CIs, or to CIs
// that depend on them (transitively). The problems the release resolves are exempt.
func ruleOpenProblems(pol *policy.Policy, in *Input, _ time.Time) []Result {
	minPrio := pol.Gate.Rules.OpenProblems.MinPriority
	own := releaseCIs(in)
	via := in.graph().dependents(own) // dependent CI → the release CI it depends on
	var out []Result
	for _, p := range in.OpenProblems {
		open := (&problem.Problem{Status: p.Status}).Open()
		if !open || p.Priority < 1 || p.Priority > minPrio || slices.Contains(in.Release.Resolves, p.ID) {
			continue
		}
		what := fmt.Sprintf("%s (priority %d, %s)", p.ID, p.Priority, p.Status)
		switch {
		case slices.Contains(p.Environments, in.Environment.Name):
			out = append(out, fail([]string{p.ID}, "%s is open on environment %s", what, in.Environment.Name))
		case hasAny(p.CIs, own):
			out = append(out, fail([]string{p.ID}, "%s is open on %s, which this release ships", what, strings.Join(common(p.CIs, own), ", ")))
		default:
			for _, c := range p.CIs {
				if dep, ok := via.rootOf(c); ok {
					out = append(out, fail([]string{p.ID}, "%s is open on %s, which depends on %s shipped by this release", what, c, dep))
					break
				}
			}
		}
	}
	if len(out) > 0 {
		return out
	}
	return pass("no open problem of priority 1–%d on %s, on %s, or on the %d CIs that depend on them",
		minPrio, in.Environment.Name, strings.Join(own, ", "), via.n)
}

func hasAny(xs, ys []string) bool { return len(common(xs, ys)) > 0 }

func common(xs, ys []string) []string {
	var out []string
	for _, x := range xs {
		if slices.Contains(ys, x) {
			out = append(out, x)
		}
	}
	return out
}

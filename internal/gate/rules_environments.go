package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/policy"
)

// progressed are the deployment statuses that count for progression.
var progressed = []string{"succeeded", "verified"}

// Progressed reports whether a deployment in status counts for rule
// progression: it succeeded (or its watch window passed: verified). A
// deployment rolled back, even after it succeeded, does not count.
func Progressed(status string) bool { return slices.Contains(progressed, status) }

// requiredEnvs returns the environments a release must have succeeded in
// before env: environments.<env>.requires when the policy sets it, else the
// environments preceding env in progression; nil when env is in neither.
// env itself never requires env.
//
// It has the contract of policy.(*Policy).Requires, written separately to
// be unified with it.
func requiredEnvs(pol *policy.Policy, env string) []string {
	var req []string
	if ep, ok := pol.Environments[env]; ok && ep.Requires != nil {
		req = ep.Requires
	} else if i := slices.Index(pol.Progression, env); i > 0 {
		req = pol.Progression[:i]
	}
	var out []string
	for _, e := range req {
		if e != env && !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

// ruleProgression: the release has a deployment that succeeded (or was
// verified) by the deployment time in each environment the policy requires
// before the target (requiredEnvs). An approved progression deviation
// turns a failure into a warning.
func ruleProgression(pol *policy.Policy, in *Input, _ time.Time) []Result {
	target := in.Environment.Name
	req := requiredEnvs(pol, target)
	if len(req) == 0 {
		return pass("no environment precedes %s", target)
	}
	var out []Result
	var done, recs []string
	for _, env := range req {
		d, ok := progressIn(in, env)
		if ok {
			done, recs = append(done, fmt.Sprintf("%s (%s)", env, d.ID)), append(recs, d.ID)
			continue
		}
		reason := fmt.Sprintf("%s has not succeeded in %s (required before %s)", in.Release.ID, env, target)
		if d.ID == "" {
			out = append(out, fail([]string{env}, "%s; it was never deployed there", reason))
		} else {
			out = append(out, fail([]string{d.ID}, "%s; its last deployment there, %s, is %s", reason, d.ID, d.Status))
		}
	}
	if len(out) > 0 {
		return excuse(in, RuleProgression, out)
	}
	r := pass("%s succeeded in %s, required before %s", in.Release.ID, strings.Join(done, ", "), target)
	r[0].Records = recs
	return r
}

// progressIn returns the release's deployment in env that counts for
// progression at the deployment time (true), else its last deployment
// there in input order (false; zero when there is none).
func progressIn(in *Input, env string) (Deployment, bool) {
	var last Deployment
	for _, d := range in.Deployments {
		if d.Environment != env {
			continue
		}
		if Progressed(d.Status) && (d.FinishedAt == nil || !d.FinishedAt.After(*in.At)) {
			return d, true
		}
		last = d
	}
	return last, false
}

// excuse turns the failures of rule into warnings when the change carries
// an approved deviation covering rule at the deployment time.
func excuse(in *Input, rule string, out []Result) []Result {
	dev := covering(in, rule)
	if dev == nil {
		return out
	}
	for i := range out {
		if out[i].Result == Fail {
			out[i].Result = Warn
			out[i].Records = append(out[i].Records, idOr(dev.ID, in.Change.ID)...)
			out[i].Reason += fmt.Sprintf("; allowed by a deviation approved by %s: %s", dev.ApprovedBy, dev.Reason)
		}
	}
	return out
}

// ruleTargetHealth: no open incident and no firing alert of severity 1 to
// min_severity on the target environment for the release's CIs and the CIs
// they depend on (transitively). An alert that opened or joined an incident
// of open_incidents is judged as that incident (a person may have changed
// its severity). Incidents and alerts linked to a problem the release
// resolves do not count: the release is their fix. An approved
// target_health deviation turns a failure into a warning.
func ruleTargetHealth(pol *policy.Policy, in *Input, _ time.Time) []Result {
	minSev := pol.Gate.Rules.TargetHealth.MinSeverity
	env := in.Environment.Name
	own := releaseCIs(in)
	via := in.graph().dependencies(own)
	counts := func(e, ci string, sev int) bool {
		_, reached := via.rootOf(ci)
		return e == env && (reached || slices.Contains(own, ci)) && sev >= 1 && sev <= minSev
	}
	var out []Result
	var exempt []string
	incs := map[string]bool{}
	for _, i := range in.OpenIncidents {
		incs[i.ID] = true
		switch {
		case !counts(i.Environment, i.CI, i.Severity):
		case slices.Contains(in.Release.Resolves, i.Problem):
			exempt = append(exempt, fmt.Sprintf("%s (%s)", i.ID, i.Problem))
		default:
			out = append(out, fail([]string{i.ID}, "%s (severity %d, %s) is open on %s in %s%s", i.ID, i.Severity,
				i.Title, reach(i.CI, via), env, firingFor(in, i.ID)))
		}
	}
	for _, a := range in.FiringAlerts {
		switch {
		case incs[a.Incident] || !counts(a.Environment, a.CI, a.Severity):
		case slices.Contains(in.Release.Resolves, a.Problem):
			exempt = append(exempt, fmt.Sprintf("alert %s (%s)", a.Name, a.Problem))
		default:
			out = append(out, fail(alertRecords(a), "alert %s (severity %d) is firing on %s in %s since %s", orDash(a.Name),
				a.Severity, reach(a.CI, via), env, a.StartsAt.UTC().Format("2006-01-02 15:04 MST")))
		}
	}
	if len(out) > 0 {
		return excuse(in, RuleTargetHealth, out)
	}
	reason := fmt.Sprintf("no open incident and no firing alert of severity 1–%d in %s on %s or the %d CIs they depend on",
		minSev, env, strings.Join(own, ", "), via.n)
	if len(exempt) > 0 {
		reason += "; not counted, as this release resolves their problem: " + strings.Join(exempt, ", ")
	}
	return pass("%s", reason)
}

// reach names a CI and, for a dependency, the release's CI that needs it.
func reach(ci string, via reached) string {
	if root, ok := via.rootOf(ci); ok {
		return fmt.Sprintf("%s, which %s depends on", ci, root)
	}
	return ci
}

// firingFor lists the firing alerts of incident id: "; alerts firing: A, B".
func firingFor(in *Input, id string) string {
	var names []string
	for _, a := range in.FiringAlerts {
		if a.Incident == id && !slices.Contains(names, a.Name) {
			names = append(names, orDash(a.Name))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "; alert firing: " + strings.Join(names, ", ")
}

// alertRecords names a firing alert: its incident if it has one, and its signal.
func alertRecords(a Alert) []string {
	out := []string{fmt.Sprintf("signal-%d", a.Signal)}
	if a.Incident != "" {
		out = append(out, a.Incident)
	}
	return out
}

package control

import (
	"fmt"
	"slices"
)

// Assess decides every control from the facts of one period, in All order.
// It is pure: the same facts give the same results.
func Assess(f Facts) []Result {
	return []Result{
		gateAndChange(f.Deployments, f.DeploymentCount), rcaBeforeDeploy(f.Fixes, f.FixCount), separation(f),
		approvalsByRisk(f.Deployments, f.GatedCount), deviations(f.Deployments), pirForFix(f.Fixed),
		observation(f.Closed), auditChain(f.Audit), retention(f.Evidence),
	}
}

// Authorised are the change statuses reached only through authorisation
// (change.Machine: failed follows implement or review).
var Authorised = []string{"scheduled", "implement", "review", "closed", "failed"}

// MayBreak reports whether deployment d can be an exception of
// gate_and_change, approvals_by_risk or deviations_approved: it has no gate
// evaluation or one that did not allow it, no change or one never
// authorised, recorded deviations, or approvals other than pass.
func MayBreak(d Deployment) bool {
	return d.Gate == "" || d.GateDecision != "allowed" || d.Change == "" || !slices.Contains(Authorised, d.ChangeStatus) ||
		len(d.Deviations) > 0 || d.Approvals != "pass"
}

func gateAndChange(ds []Deployment, sample int) Result {
	var exc []Exception
	for _, d := range ds {
		switch {
		case d.Gate == "":
			exc = append(exc, Exception{d.ID, fmt.Sprintf("%s of %s to %s has no gate evaluation before it started", d.ID, d.Release, d.Env)})
		case d.GateDecision != "allowed":
			exc = append(exc, Exception{d.ID, fmt.Sprintf("the last gate evaluation before %s (%s) was %s", d.ID, d.Gate, d.GateDecision)})
		}
		switch {
		case d.Change == "":
			exc = append(exc, Exception{d.ID, fmt.Sprintf("%s went to production without a change", d.ID)})
		case !slices.Contains(Authorised, d.ChangeStatus):
			exc = append(exc, Exception{d.Change, fmt.Sprintf("%s of %s is %s: never authorised", d.Change, d.ID, d.ChangeStatus)})
		}
	}
	return result(GateAndChange, sample, exc)
}

func rcaBeforeDeploy(fs []Fix, sample int) Result {
	var exc []Exception
	for _, f := range fs {
		if f.Validated == nil {
			exc = append(exc, Exception{f.Problem, fmt.Sprintf("%s deployed a fix of %s whose RCA was never validated", f.Deployment, f.Problem)})
		} else if f.Validated.After(f.StartedAt) {
			exc = append(exc, Exception{f.Problem, fmt.Sprintf("the RCA of %s was validated at %s, after %s started", f.Problem,
				f.Validated.UTC().Format("2006-01-02 15:04 MST"), f.Deployment)})
		}
	}
	return result(RCABeforeDeploy, sample, exc)
}

func separation(f Facts) Result {
	var exc []Exception
	for _, s := range f.SelfApprovals {
		exc = append(exc, Exception{s.Approval, fmt.Sprintf("%s approved %s, which they %s", s.Approver, s.Record, s.As)})
	}
	return result(Separation, f.Approvals, exc)
}

func approvalsByRisk(ds []Deployment, sample int) Result {
	var exc []Exception
	for _, d := range ds {
		if d.Gate == "" {
			continue // counted by gate_and_change
		}
		switch d.Approvals {
		case "pass":
		case "skip":
			exc = append(exc, Exception{d.ID, fmt.Sprintf("the policy disabled rule approvals when %s evaluated %s", d.Gate, d.ID)})
		default:
			exc = append(exc, Exception{d.ID, fmt.Sprintf("gate evaluation %s before %s gave approvals %s", d.Gate, d.ID, orNone(d.Approvals))})
		}
	}
	return result(ApprovalsByRisk, sample, exc)
}

func deviations(ds []Deployment) Result {
	var exc []Exception
	n := 0
	seen := map[string]bool{}
	for _, d := range ds {
		if d.Change == "" || seen[d.Change] {
			continue
		}
		seen[d.Change] = true
		for _, v := range d.Deviations {
			n++
			if v.Reason == "" || v.ApprovedBy == "" {
				exc = append(exc, Exception{d.Change, fmt.Sprintf("the deviation skipping %q on %s lacks a reason or an approver", v.Step, d.Change)})
			}
		}
	}
	return result(Deviations, n, exc)
}

func pirForFix(ps []FixedProblem) Result {
	var exc []Exception
	for _, p := range ps {
		if p.PIR == "" {
			exc = append(exc, Exception{p.Problem, fmt.Sprintf("the fix of %s was deployed but it has no post-implementation review", p.Problem)})
		}
	}
	return result(PIRForFix, len(ps), exc)
}

func observation(cs []Closure) Result {
	var exc []Exception
	for _, c := range cs {
		if c.ObservationUntil == nil {
			exc = append(exc, Exception{c.Problem, fmt.Sprintf("%s was closed without an observation period", c.Problem)})
		} else if c.ClosedAt.Before(*c.ObservationUntil) {
			exc = append(exc, Exception{c.Problem, fmt.Sprintf("%s was closed at %s, before its observation period ended at %s", c.Problem,
				c.ClosedAt.UTC().Format("2006-01-02 15:04 MST"), c.ObservationUntil.UTC().Format("2006-01-02 15:04 MST"))})
		}
	}
	return result(Observation, len(cs), exc)
}

func auditChain(a AuditCheck) Result {
	var exc []Exception
	switch {
	case a.Broken != "":
		exc = append(exc, Exception{"audit", "the audit chain does not verify: " + a.Broken})
	case a.Checkpoint == 0:
		exc = append(exc, Exception{"audit", fmt.Sprintf("no signed checkpoint covers the %d audit events (serve with --audit-key)", a.Events)})
	}
	return result(AuditChain, int(a.Events), exc)
}

// keptLong are the artifact retention classes that keep evidence for audits.
var keptLong = []string{"audit-long", "permanent"}

func retention(es []Evidence) Result {
	var exc []Exception
	for _, e := range es {
		if !slices.Contains(keptLong, e.Retention) {
			exc = append(exc, Exception{e.Release, fmt.Sprintf("the %s document %.12s of %s is kept %s, not audit-long", e.Kind, e.SHA256, e.Release, e.Retention)})
		}
	}
	return result(Retention, len(es), exc)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

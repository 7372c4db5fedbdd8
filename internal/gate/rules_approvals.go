package gate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/policy"
)

// approvalSet sorts the approvals of the release and its change.
type approvalSet struct {
	current    []Approval // approvals of the current revision by eligible people
	conflicted []Approval // approvals of the current revision by an author of the fix
	stale      []Approval // approvals of content edited since
	rejections []Approval // rejections of the current revision
	deviation  *Deviation // the approved deviation that lets authors approve, if any
}

// currentRevision returns the revision approvals of record must carry.
func currentRevision(in *Input, record string) (int64, bool) {
	if rev, ok := in.Revisions[record]; ok {
		return rev, true
	}
	switch {
	case record == in.Release.ID:
		return in.Release.Revision, true
	case in.Change != nil && record == in.Change.ID:
		return in.Change.Revision, true
	}
	return 0, false
}

// current reports whether approval a still bears on its record
// (approval.Binds: same content, or same revision without fingerprints).
func current(in *Input, a Approval) bool {
	rev, _ := currentRevision(in, a.Record)
	content := ""
	switch {
	case a.Record == in.Release.ID:
		content = in.Release.Content
	case in.Change != nil && a.Record == in.Change.ID:
		content = in.Change.Content
	}
	return approval.Binds(a.Revision, a.Content, rev, content)
}

// conflicts maps each author of the fix to what they did.
func conflicts(in *Input) map[string][]string {
	out := map[string][]string{}
	for _, a := range in.Authors {
		if !slices.Contains(out[a.User], a.As) {
			out[a.User] = append(out[a.User], a.As)
		}
	}
	return out
}

// covering returns the change's first approved deviation for rule at the
// deployment time.
func covering(in *Input, rule string) *Deviation {
	if !withDeviations(in) {
		return nil
	}
	for i, d := range in.Change.Deviations {
		if d.Covers(rule, *in.At) {
			return &in.Change.Deviations[i]
		}
	}
	return nil
}

// classify sorts the approvals of the release and of its change. An
// author's approval counts only under an approved separation_of_duties deviation.
func classify(in *Input) approvalSet {
	var s approvalSet
	s.deviation = covering(in, RuleSeparationOfDuties)
	authors := conflicts(in)
	for _, a := range in.Approvals {
		if a.Record != in.Release.ID && (in.Change == nil || a.Record != in.Change.ID) {
			continue
		}
		switch {
		case !current(in, a):
			if a.Decision == Approve {
				s.stale = append(s.stale, a)
			}
		case a.Decision == Reject:
			s.rejections = append(s.rejections, a)
		case a.Decision != Approve:
		case len(authors[a.Approver]) > 0:
			s.conflicted = append(s.conflicted, a)
			if s.deviation != nil {
				s.current = append(s.current, a)
			}
		default:
			s.current = append(s.current, a)
		}
	}
	return s
}

// holds reports whether the approval may count for role: the approver acted
// in it or holds it; peer is any role but auditor and pipeline.
func holds(a Approval, role string) bool {
	roles := append([]string{a.Role}, a.Roles...)
	if role == policy.Peer {
		return slices.ContainsFunc(roles, func(r string) bool { return r != "" && r != "auditor" && r != "pipeline" }) ||
			a.Role == "" && len(a.Roles) == 0
	}
	return slices.Contains(roles, role)
}

// ruleSeparationOfDuties (rule 7): nobody who created the release, requested
// the change, authored an RCA or resolved a problem approves it, and no RCA
// is validated by its own author. An approved separation_of_duties deviation
// turns a conflicting approval into a warning (and lets it count).
func ruleSeparationOfDuties(_ *policy.Policy, in *Input, _ time.Time) []Result {
	var out []Result
	for _, p := range resolvedProblems(in) {
		if p.RCA.ValidatedBy != "" && p.RCA.ValidatedBy == p.RCA.Author {
			out = append(out, fail([]string{p.ID}, "%s validated the root cause of %s that they wrote themselves", p.RCA.Author, p.ID))
		}
	}
	set := classify(in)
	authors := conflicts(in)
	for _, a := range set.conflicted {
		what := fmt.Sprintf("%s approved %s but %s", a.Approver, a.Record, strings.Join(authors[a.Approver], " and "))
		if d := set.deviation; d != nil {
			out = append(out, Result{Result: Warn, Records: append(idOr(a.ID, a.Record), idOr(d.ID, in.Change.ID)...),
				Reason: fmt.Sprintf("%s; allowed by a deviation approved by %s: %s", what, d.ApprovedBy, d.Reason)})
			continue
		}
		out = append(out, fail(idOr(a.ID, a.Record), "%s; that approval does not count", what))
	}
	if len(out) > 0 {
		return out
	}
	return pass("no approver created the release, requested the change, wrote an RCA or resolved a problem it fixes")
}

// ruleApprovals (rule 8): the approvals the risk class requires (plus the
// mixed-release and emergency sign-offs) are present on the current revision,
// each from a distinct eligible person; no current rejection; an emergency
// change fixing a known problem carries an approved deviation record.
func ruleApprovals(pol *policy.Policy, in *Input, _ time.Time) []Result {
	class, by, err := riskClass(pol, in)
	if err != nil {
		return []Result{{Result: Fail, Undecided: true, Records: []string{in.Release.ID},
			Reason: fmt.Sprintf("cannot compute the risk class: %v", err)}}
	}
	var out []Result
	if o := in.Change; o != nil && o.RiskOverride != nil && strings.TrimSpace(o.RiskOverride.Justification) == "" {
		out = append(out, fail([]string{o.ID}, "%s overrides the risk class to %s without a justification", o.ID, o.RiskOverride.Class))
	}
	set := classify(in)
	for _, a := range set.rejections {
		out = append(out, fail(idOr(a.ID, a.Record), "%s rejected %s at its current revision %d; a new revision must be approved",
			a.Approver, a.Record, a.Revision))
	}
	reqs := slices.Clone(pol.Approvals.For(class))
	if in.Release.Type == "mixed" {
		reqs = append(reqs, policy.Requirement{Role: pol.Approvals.MixedRelease, Count: 1})
	}
	emergency := in.Change != nil && in.Change.Type == "emergency" && len(in.Release.Resolves) > 0
	if emergency {
		reqs = append(reqs, policy.Requirement{Role: pol.Approvals.EmergencySignoff, Count: 1})
		if !withDeviations(in) || !slices.ContainsFunc(in.Change.Deviations, func(d Deviation) bool { return d.Covers(d.Rule, *in.At) }) {
			out = append(out, fail([]string{in.Change.ID}, "emergency change %s fixes a known problem but carries no approved deviation record covering the deployment time (which step was skipped, why, who approved, when)", in.Change.ID))
		}
	}
	missing, used := match(reqs, set.current)
	for _, m := range missing {
		out = append(out, fail(recordsOf(in), "risk class %s (%s) needs %s on the current revision; %s",
			class, by, m, countNote(set)))
	}
	if len(out) > 0 {
		return out
	}
	names := make([]string, 0, len(used))
	recs := []string{}
	for _, u := range used {
		names = append(names, u.Approver+" as "+u.role)
		recs = append(recs, idOr(u.ID, u.Record)...)
	}
	if len(reqs) == 0 {
		return pass("risk class %s (%s) requires no approval", class, by)
	}
	r := pass("risk class %s (%s): approved by %s", class, by, strings.Join(names, ", "))
	r[0].Records = recs
	return r
}

func recordsOf(in *Input) []string {
	out := []string{in.Release.ID}
	if in.Change != nil {
		out = append(out, in.Change.ID)
	}
	return out
}

// countNote explains which approvals did not count.
func countNote(s approvalSet) string {
	people := map[string]bool{}
	for _, a := range s.current {
		people[a.Approver] = true
	}
	note := fmt.Sprintf("%d eligible approver(s) on the current revision", len(people))
	if n := len(s.stale); n > 0 {
		note += fmt.Sprintf(", %d approval(s) of content edited since do not count", n)
	}
	if n := len(s.conflicted); n > 0 && s.deviation == nil {
		note += fmt.Sprintf(", %d approval(s) by authors of the fix do not count", n)
	}
	return note
}

// assigned is an approval counted for a role.
type assigned struct {
	Approval
	role string
}

// match assigns distinct approvers to the required slots (one person fills
// at most one slot, whatever roles they hold) by augmenting paths, and
// returns the unmet requirements ("1 more cab_member approval") and the
// approvals used.
func match(reqs []policy.Requirement, current []Approval) (missing []string, used []assigned) {
	var slots []string
	for _, r := range reqs {
		for range r.Count {
			slots = append(slots, r.Role)
		}
	}
	// one candidate per person, with every approval they gave
	var people []string
	byPerson := map[string][]Approval{}
	for _, a := range current {
		if _, ok := byPerson[a.Approver]; !ok {
			people = append(people, a.Approver)
		}
		byPerson[a.Approver] = append(byPerson[a.Approver], a)
	}
	qualifies := func(p string, role string) (Approval, bool) {
		for _, a := range byPerson[p] {
			if holds(a, role) {
				return a, true
			}
		}
		return Approval{}, false
	}
	owner := make([]int, len(people)) // person → slot+1, 0 = free
	var try func(slot int, seen []bool) bool
	try = func(slot int, seen []bool) bool {
		for pi, p := range people {
			if _, ok := qualifies(p, slots[slot]); !ok || seen[pi] {
				continue
			}
			seen[pi] = true
			if owner[pi] == 0 || try(owner[pi]-1, seen) {
				owner[pi] = slot + 1
				return true
			}
		}
		return false
	}
	short := map[string]int{}
	var order []string
	for s := range slots {
		if !try(s, make([]bool, len(people))) {
			if short[slots[s]] == 0 {
				order = append(order, slots[s])
			}
			short[slots[s]]++
		}
	}
	for _, role := range order {
		missing = append(missing, fmt.Sprintf("%d more %s approval(s) from distinct people", short[role], role))
	}
	for pi, p := range people {
		if owner[pi] > 0 {
			a, _ := qualifies(p, slots[owner[pi]-1])
			used = append(used, assigned{a, slots[owner[pi]-1]})
		}
	}
	return missing, used
}

// ApprovalsMissing judges rule 8 (approvals) alone, exactly as an
// evaluation of in at now would, and returns the reasons it fails: empty
// when the approvals the risk class requires are present and current (or
// the policy disables the rule, or lowers it to a warning). The server
// asks it before a release moves to approved or a change to scheduled
// from authorize: records reach their approved state only by approvals.
func ApprovalsMissing(pol *policy.Policy, in Input, now time.Time) []string {
	sw := pol.Gate.Rules.Approvals
	if !sw.Enabled || sw.Severity != Fail {
		return nil
	}
	in = normalise(in, now)
	var out []string
	for _, r := range ruleApprovals(pol, &in, now) {
		if r.Result == Fail {
			out = append(out, r.Reason)
		}
	}
	return out
}

// withDeviations: the change carries deviations (each covers a time range).
func withDeviations(in *Input) bool { return in.Change != nil && len(in.Change.Deviations) > 0 }

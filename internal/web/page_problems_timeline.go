package web

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"fixgate/internal/pir"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// timelineEntry is one dated line of a problem's timeline: what happened,
// with a link to the record when it has a page.
type timelineEntry struct {
	At   time.Time
	Kind string // incident, rca, release, deployment, recurrence, resolution, known error, pir, confirmation, problem
	Text string
	Link string // "" when the record has no page
	Ref  string // the record's id, the link's text
	seq  int    // order added: among equal times the later added is shown first
}

// problemTimeline merges what the problem's page read into one list,
// newest first. It holds the page's incidents (one page) and every other
// record read; each of those lists is bounded.
func problemTimeline(p problem.Problem, h problemHistory) []timelineEntry {
	var t []timelineEntry
	add := func(at *time.Time, kind, text, link, ref string) {
		if at != nil && !at.IsZero() {
			t = append(t, timelineEntry{At: *at, Kind: kind, Text: text, Link: link, Ref: ref, seq: len(t)})
		}
	}
	add(&p.CreatedAt, "problem", "Problem recorded by "+p.CreatedBy, "", "")
	for k := len(h.Incidents) - 1; k >= 0; k-- { // oldest first, so that the newest wins ties
		i := h.Incidents[k]
		add(&i.OpenedAt, "incident", fmt.Sprintf("Incident opened on %s in %s (severity %d): %s", i.CI, i.Env, i.Severity, i.Title), "", i.ID)
	}
	if p.RCA.RecordedAt != nil {
		add(p.RCA.RecordedAt, "rca", "Root cause analysis ("+p.RCA.Category+") recorded by "+p.RCA.Author, "", "")
	}
	for _, v := range h.Validations {
		add(&v.At, "rca", "Root cause analysis validated by "+v.Validator+" ("+v.Role+")", "", "")
		add(v.WithdrawnAt, "rca", "Validation by "+v.Validator+" withdrawn: "+v.WithdrawnReason, "", "")
	}
	for _, r := range h.Releases {
		add(&r.CreatedAt, "release", fmt.Sprintf("Release %s (%s) planned to fix it; now %s", r.Version, r.Type, r.Status), "/releases/"+r.ID, r.ID)
	}
	for _, d := range h.Deployments {
		add(&d.CreatedAt, "deployment", fmt.Sprintf("Deployment of %s into %s created; now %s", d.Release, d.Env, d.Status), "/deployments/"+d.ID, d.ID)
		add(d.FinishedAt, "deployment", fmt.Sprintf("Deployment of %s into %s finished: %s", d.Release, d.Env, d.Status), "/deployments/"+d.ID, d.ID)
	}
	for _, e := range h.Recurrences {
		add(&e.At, "recurrence", "Recurrence: the problem was reopened (by "+e.Actor+")", "", "")
	}
	for _, r := range h.Resolutions {
		add(&r.At, "resolution", resolutionText(r.Kind, r.Deployment, r.Release, r.Reason, r.ApprovedBy), "", "")
	}
	for _, k := range h.KnownErrors {
		add(&k.CreatedAt, "known error", "Known error recorded ("+k.Status+"): "+k.Title, "/known-errors?problem="+p.ID, k.ID)
	}
	for _, x := range h.PIRs {
		add(&x.CreatedAt, "pir", "Post-implementation review started", "", x.ID)
		if x.Status == pir.Completed {
			add(x.CompletedAt, "pir", "Post-implementation review completed by "+x.CompletedBy, "", x.ID)
		}
	}
	for _, c := range h.Confirmations {
		add(&c.At, "confirmation", "Fix confirmed by "+c.Validator+": "+c.Comment, "", "")
	}
	add(p.ClosedAt, "problem", "Problem closed", "", "")
	slices.SortFunc(t, func(a, b timelineEntry) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.seq, a.seq)) })
	return t
}

func resolutionText(kind, dep, rel, reason, approver string) string {
	if kind == store.ResolvedByDeployment {
		return "Resolved: " + rel + " succeeded in production (" + dep + "); the observation period began"
	}
	return "Resolved by hand with a deviation approved by " + approver + ": " + reason
}

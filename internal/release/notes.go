package release

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/ci"
	"fixgate/internal/problem"
)

// NotesSchema names the fixed JSON schema of Notes; it changes only with an
// incompatible change of the document.
const NotesSchema = "fixgate.release-notes/v1"

// Notes are generated release notes: what the release is, which problems it
// resolves (with their root cause, known error and whether the workaround
// can be withdrawn), the CIs it affects, its component versions, artifacts,
// changes with their approvals, its deployment history and, when a git
// range was walked, the commits grouped by the problems they name. Every
// list is present (never null) and sorted, so the notes are reproducible.
type Notes struct {
	Schema      string           `json:"schema"`
	Release     string           `json:"release"`
	Version     string           `json:"version"`
	Type        string           `json:"type"`
	Status      string           `json:"status"`
	Title       string           `json:"title"`
	Summary     string           `json:"summary"`
	Tag         string           `json:"tag"`
	Highlights  []string         `json:"highlights"`
	Resolves    []NoteProblem    `json:"resolves"`
	AffectedCIs []string         `json:"affected_cis"`
	Components  []NoteVersion    `json:"components"`
	Artifacts   []NoteArtifact   `json:"artifacts"`
	Changes     []NoteChange     `json:"changes"`
	Approvals   []NoteApproval   `json:"approvals"`
	Deployments []NoteDeployment `json:"deployments"`
	// Code is the walked git range; null when none was walked.
	Code *CodeChanges `json:"code"`
}

// NoteProblem is a resolved problem as the notes show it.
type NoteProblem struct {
	ID          string         `json:"id"`
	Title       string         `json:"title"`
	Status      string         `json:"status"`
	Priority    int            `json:"priority"`
	RCACategory string         `json:"rca_category"`
	RCASummary  string         `json:"rca_summary"`
	KnownError  *NoteKnownErr  `json:"known_error"`
	Workaround  WorkaroundNote `json:"workaround"`
	CIs         []string       `json:"cis"`
}

// NoteKnownErr is the known error recorded for a problem.
type NoteKnownErr struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// WorkaroundNote says whether a problem has a workaround and whether it can
// be withdrawn: only once the fix has held (the problem is closed after its
// observation period, or its known error was retired because the fix worked).
type WorkaroundNote struct {
	Exists       bool   `json:"exists"`
	Withdrawable bool   `json:"withdrawable"`
	Reason       string `json:"reason"`
}

// NoteVersion is a component version as the notes show it.
type NoteVersion struct {
	Ref    string `json:"ref"`
	Status string `json:"status"`
	Digest string `json:"digest"`
}

// NoteArtifact is an attached artifact as the notes show it.
type NoteArtifact struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// NoteChange is a change record of the release.
type NoteChange struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Type      string `json:"type"`
	Env       string `json:"env"`
	Status    string `json:"status"`
	RiskClass string `json:"risk_class"`
}

// NoteApproval is a decision on the release or on one of its changes.
type NoteApproval struct {
	ID       string    `json:"id"`
	Record   string    `json:"record"`
	Approver string    `json:"approver"`
	Role     string    `json:"role"`
	Decision string    `json:"decision"`
	At       time.Time `json:"at"`
}

// NoteDeployment is one deployment of the release.
type NoteDeployment struct {
	ID         string     `json:"id"`
	Env        string     `json:"env"`
	Status     string     `json:"status"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// NotesFacts are what the notes are made of, as the store loads them.
// Problems, versions and known errors missing from the facts are shown by
// reference only.
type NotesFacts struct {
	Release     Release
	Problems    []problem.Problem
	KnownErrors map[string]NoteKnownErr // by problem id (PRB-n)
	Versions    []ci.Version
	Changes     []NoteChange
	Approvals   []NoteApproval
	Deployments []NoteDeployment
}

// GenerateNotes builds the notes of f.Release from its facts.
func GenerateNotes(f NotesFacts) Notes {
	r := f.Release
	n := Notes{Schema: NotesSchema, Release: r.ID, Version: r.Version, Type: r.Type, Status: r.Status, Title: r.Title,
		Summary: r.Notes, Tag: r.Tag, Resolves: []NoteProblem{}, Components: []NoteVersion{}, Artifacts: []NoteArtifact{},
		Changes:     sortedBy(f.Changes, func(c NoteChange) string { return c.ID }),
		Approvals:   sortedBy(f.Approvals, func(a NoteApproval) string { return a.ID }),
		Deployments: sortedBy(f.Deployments, func(d NoteDeployment) string { return d.ID })}
	cis := map[string]bool{}
	byID := map[string]problem.Problem{}
	for _, p := range f.Problems {
		byID[p.ID] = p
	}
	for _, id := range sortedBy(r.Resolves, func(s string) string { return s }) {
		np := noteProblem(id, byID[id], f.KnownErrors)
		for _, c := range np.CIs {
			cis[c] = true
		}
		n.Resolves = append(n.Resolves, np)
	}
	byRef := map[string]ci.Version{}
	for _, v := range f.Versions {
		byRef[v.CI+"@"+v.Version] = v
	}
	for _, ref := range r.Components {
		v := byRef[ref]
		name, _, _ := strings.Cut(ref, "@")
		cis[name] = true
		n.Components = append(n.Components, NoteVersion{Ref: ref, Status: v.Status, Digest: v.Digest})
	}
	n.AffectedCIs = setKeys(cis)
	for _, a := range r.Artifacts {
		n.Artifacts = append(n.Artifacts, NoteArtifact{Kind: a.Kind, Name: a.Name, SHA256: a.SHA256})
	}
	n.Highlights = highlights(r, n)
	return n
}

// noteProblem shows problem p (zero when not loaded) under id.
func noteProblem(id string, p problem.Problem, kes map[string]NoteKnownErr) NoteProblem {
	np := NoteProblem{ID: id, Title: p.Title, Status: p.Status, Priority: p.Priority, RCACategory: p.RCA.Category,
		RCASummary: p.RCA.Summary, CIs: slices.Clone(p.CIs)}
	if np.CIs == nil {
		np.CIs = []string{}
	}
	slices.Sort(np.CIs)
	if ke, ok := kes[id]; ok {
		np.KnownError = &ke
	}
	np.Workaround = workaround(p, np.KnownError)
	return np
}

// workaround decides whether p's workaround (its own or its known error's)
// can be withdrawn: only when the fix has held.
func workaround(p problem.Problem, ke *NoteKnownErr) WorkaroundNote {
	if strings.TrimSpace(p.Workaround) == "" && ke == nil {
		return WorkaroundNote{Reason: "no workaround recorded"}
	}
	w := WorkaroundNote{Exists: true}
	switch {
	case p.Status == problem.Closed:
		w.Withdrawable, w.Reason = true, "the problem is closed: the fix held through its observation period"
	case ke != nil && ke.Status == "retired":
		w.Withdrawable, w.Reason = true, "the known error was retired: the fix worked"
	case p.Status == problem.Resolved:
		w.Reason = "keep it until the observation period ends without a recurrence"
	default:
		w.Reason = "keep it: the fix is not yet resolved in production"
	}
	return w
}

func highlights(r Release, n Notes) []string {
	out := []string{}
	if len(n.Resolves) > 0 {
		ids := make([]string, len(n.Resolves))
		for i, p := range n.Resolves {
			ids[i] = p.ID
		}
		verb := "Resolves"
		if r.Type == ProblemFix {
			verb = "Problem fix: resolves"
		}
		out = append(out, verb+" "+strings.Join(ids, ", "))
	}
	if len(n.AffectedCIs) > 0 {
		out = append(out, "Affected CIs: "+strings.Join(n.AffectedCIs, ", "))
	}
	if r.Type == Mixed {
		out = append(out, "Mixed release: carries feature changes beside the problem fixes")
	}
	return out
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sortedBy returns a sorted copy of xs (never nil), ordered by the numeric
// part of key (REL-2 before REL-10), then by key.
func sortedBy[T any](xs []T, key func(T) string) []T {
	out := append(make([]T, 0, len(xs)), xs...)
	slices.SortStableFunc(out, func(a, b T) int { return compareIDs(key(a), key(b)) })
	return out
}

// compareIDs orders record ids PREFIX-n by prefix, then by n.
func compareIDs(a, b string) int {
	pa, na, _ := strings.Cut(a, "-")
	pb, nb, _ := strings.Cut(b, "-")
	if c := strings.Compare(pa, pb); c != 0 {
		return c
	}
	if len(na) != len(nb) {
		return len(na) - len(nb)
	}
	return strings.Compare(na, nb)
}

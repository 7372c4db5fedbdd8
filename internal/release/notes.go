package release

import (
	"fmt"
	"slices"
	"strings"

	"fixgate/internal/ci"
	"fixgate/internal/problem"
)

// Notes are generated release notes: what the release is, which problems it
// resolves (with their priority and root cause category), the CIs it
// affects, its component versions and its artifacts.
type Notes struct {
	Release     string         `json:"release"`
	Version     string         `json:"version"`
	Type        string         `json:"type"`
	Status      string         `json:"status"`
	Title       string         `json:"title"`
	Summary     string         `json:"summary"`
	Highlights  []string       `json:"highlights"`
	Resolves    []NoteProblem  `json:"resolves"`
	AffectedCIs []string       `json:"affected_cis"`
	Components  []NoteVersion  `json:"components"`
	Artifacts   []NoteArtifact `json:"artifacts"`
}

// NoteProblem is a resolved problem as the notes show it.
type NoteProblem struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Priority    int      `json:"priority"`
	RCACategory string   `json:"rca_category"`
	CIs         []string `json:"cis"`
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

// GenerateNotes builds the notes of r from the problems it resolves and its
// component versions (both as loaded by the caller; missing ones are shown
// by reference only). Lists are sorted so the notes are reproducible.
func GenerateNotes(r Release, problems []problem.Problem, versions []ci.Version) Notes {
	n := Notes{Release: r.ID, Version: r.Version, Type: r.Type, Status: r.Status, Title: r.Title, Summary: r.Notes,
		Highlights: []string{}, Resolves: []NoteProblem{}, AffectedCIs: []string{}, Components: []NoteVersion{}, Artifacts: []NoteArtifact{}}
	byID := map[string]problem.Problem{}
	for _, p := range problems {
		byID[p.ID] = p
	}
	cis := map[string]bool{}
	for _, id := range r.Resolves {
		p, ok := byID[id]
		np := NoteProblem{ID: id, Title: p.Title, Priority: p.Priority, RCACategory: p.RCA.Category, CIs: slices.Clone(p.CIs)}
		if !ok || np.CIs == nil {
			np.CIs = []string{}
		}
		for _, c := range np.CIs {
			cis[c] = true
		}
		n.Resolves = append(n.Resolves, np)
	}
	byRef := map[string]ci.Version{}
	for _, v := range versions {
		byRef[v.CI+"@"+v.Version] = v
	}
	for _, ref := range r.Components {
		v := byRef[ref]
		name, _, _ := strings.Cut(ref, "@")
		cis[name] = true
		n.Components = append(n.Components, NoteVersion{Ref: ref, Status: v.Status, Digest: v.Digest})
	}
	for c := range cis {
		n.AffectedCIs = append(n.AffectedCIs, c)
	}
	slices.Sort(n.AffectedCIs)
	for _, a := range r.Artifacts {
		n.Artifacts = append(n.Artifacts, NoteArtifact{Kind: a.Kind, Name: a.Name, SHA256: a.SHA256})
	}
	n.Highlights = highlights(r, n)
	return n
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

// Markdown renders the notes as a Markdown document.
func (n Notes) Markdown() string {
	var b strings.Builder
	title := n.Release + " — " + n.Version
	if n.Title != "" {
		title += ": " + n.Title
	}
	fmt.Fprintf(&b, "# %s\n\n", md(title))
	fmt.Fprintf(&b, "- Type: %s\n- Status: %s\n", n.Type, n.Status)
	for _, h := range n.Highlights {
		fmt.Fprintf(&b, "- **%s**\n", md(h))
	}
	if n.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(n.Summary))
	}
	if len(n.Resolves) > 0 {
		b.WriteString("\n## Resolved problems\n\n| Problem | Priority | Root cause | CIs | Title |\n| --- | --- | --- | --- | --- |\n")
		for _, p := range n.Resolves {
			fmt.Fprintf(&b, "| **%s** | P%d | %s | %s | %s |\n", p.ID, p.Priority, dash(p.RCACategory), cell(strings.Join(p.CIs, ", ")), cell(p.Title))
		}
	}
	if len(n.AffectedCIs) > 0 {
		fmt.Fprintf(&b, "\n## Affected CIs\n\n")
		for _, c := range n.AffectedCIs {
			fmt.Fprintf(&b, "- %s\n", md(c))
		}
	}
	if len(n.Components) > 0 {
		b.WriteString("\n## Component versions\n\n| Component | Status | Digest |\n| --- | --- | --- |\n")
		for _, c := range n.Components {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", cell(c.Ref), dash(c.Status), dash(c.Digest))
		}
	}
	if len(n.Artifacts) > 0 {
		b.WriteString("\n## Artifacts\n\n| Kind | Name | SHA-256 |\n| --- | --- | --- |\n")
		for _, a := range n.Artifacts {
			fmt.Fprintf(&b, "| %s | %s | `%s` |\n", a.Kind, cell(a.Name), a.SHA256)
		}
	}
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return dash(strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(md(s)))
}

// md neutralises Markdown/HTML control characters in user text.
func md(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`).Replace(s)
}

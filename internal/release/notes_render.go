package release

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
)

// NoteFormats are the formats the notes render to.
var NoteFormats = []string{"md", "html", "json"}

// Render renders the notes in format (md, html or json; "markdown" is md).
// The output is deterministic: the same notes give the same bytes.
func (n Notes) Render(format string) ([]byte, error) {
	switch format {
	case "md", "markdown":
		return []byte(n.Markdown()), nil
	case "html":
		return n.HTML()
	case "json":
		b, err := json.MarshalIndent(n, "", "  ")
		return append(b, '\n'), err
	}
	return nil, fmt.Errorf("unknown notes format %q (want md, html or json)", format)
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
	if n.Tag != "" {
		fmt.Fprintf(&b, "- Tag: %s\n", md(n.Tag))
	}
	for _, h := range n.Highlights {
		fmt.Fprintf(&b, "- **%s**\n", md(h))
	}
	if n.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(n.Summary))
	}
	mdProblems(&b, n.Resolves)
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
	mdRecords(&b, n)
	if n.Code != nil {
		mdCode(&b, n.Code)
	}
	if len(n.Artifacts) > 0 {
		b.WriteString("\n## Artifacts\n\n| Kind | Name | SHA-256 |\n| --- | --- | --- |\n")
		for _, a := range n.Artifacts {
			fmt.Fprintf(&b, "| %s | %s | `%s` |\n", a.Kind, cell(a.Name), a.SHA256)
		}
	}
	return b.String()
}

func mdProblems(b *strings.Builder, ps []NoteProblem) {
	if len(ps) == 0 {
		return
	}
	b.WriteString("\n## Resolved problems\n\n| Problem | Priority | Root cause | Known error | Workaround | CIs | Title |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, p := range ps {
		fmt.Fprintf(b, "| **%s** | P%d | %s | %s | %s | %s | %s |\n", p.ID, p.Priority, dash(p.RCACategory), knownErr(p.KnownError),
			workaroundWord(p.Workaround), cell(strings.Join(p.CIs, ", ")), cell(p.Title))
	}
	for _, p := range ps {
		if p.RCASummary != "" {
			fmt.Fprintf(b, "\n**%s root cause:** %s\n", p.ID, md(oneLine(p.RCASummary)))
		}
	}
}

func mdRecords(b *strings.Builder, n Notes) {
	if len(n.Changes) > 0 {
		b.WriteString("\n## Changes\n\n| Change | Type | Environment | Status | Risk | Title |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, c := range n.Changes {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", c.ID, c.Type, dash(c.Env), c.Status, dash(c.RiskClass), cell(c.Title))
		}
	}
	if len(n.Approvals) > 0 {
		b.WriteString("\n## Approvals\n\n| Approval | Record | Approver | Role | Decision | At |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, a := range n.Approvals {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", a.ID, a.Record, cell(a.Approver), a.Role, a.Decision, stamp(&a.At))
		}
	}
	if len(n.Deployments) > 0 {
		b.WriteString("\n## Deployment history\n\n| Deployment | Environment | Status | Started | Finished |\n| --- | --- | --- | --- | --- |\n")
		for _, d := range n.Deployments {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", d.ID, d.Env, d.Status, stamp(d.StartedAt), stamp(d.FinishedAt))
		}
	}
}

func mdCode(b *strings.Builder, c *CodeChanges) {
	fmt.Fprintf(b, "\n## Code changes (%s..%s, %d commits)\n", md(c.From), md(c.To), c.Commits)
	for _, p := range c.Problems {
		note := ""
		if !p.Claimed {
			note = " (not resolved by this release)"
		}
		fmt.Fprintf(b, "\n### %s%s\n\n", p.Problem, note)
		for _, cm := range p.Commits {
			fmt.Fprintf(b, "- `%s` %s (%s)\n", short(cm.Hash), md(cm.Subject), md(cm.Author))
		}
	}
	if len(c.Unlinked) > 0 {
		b.WriteString("\n### Commits that name no problem\n\n")
		for _, cm := range c.Unlinked {
			fmt.Fprintf(b, "- `%s` %s (%s)\n", short(cm.Hash), md(cm.Subject), md(cm.Author))
		}
	}
	if len(c.Unnamed) > 0 {
		fmt.Fprintf(b, "\n**Claimed but named by no commit:** %s\n", strings.Join(c.Unnamed, ", "))
	}
}

//go:embed notes.html.tmpl
var notesHTML string

var notesTmpl = template.Must(template.New("notes").Funcs(template.FuncMap{
	"stamp": stamp, "stampAt": func(t time.Time) string { return stamp(&t) }, "short": short, "knownErr": knownErr, "workaround": workaroundWord, "join": strings.Join,
}).Parse(notesHTML))

// HTML renders the notes as a standalone HTML document (html/template:
// every value is escaped; no script, no inline style).
func (n Notes) HTML() ([]byte, error) {
	var b bytes.Buffer
	err := notesTmpl.Execute(&b, n)
	return b.Bytes(), err
}

func knownErr(k *NoteKnownErr) string {
	if k == nil {
		return "-"
	}
	return k.ID + " (" + k.Status + ")"
}

func workaroundWord(w WorkaroundNote) string {
	switch {
	case !w.Exists:
		return "none"
	case w.Withdrawable:
		return "can be withdrawn"
	}
	return "keep"
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
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

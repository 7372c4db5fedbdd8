// Package export renders ISO/IEC 20000-1:2018-aligned evidence documents
// of one record (release, change, PIR, control assessment) as Markdown,
// HTML (html/template) or PDF (codeberg.org/go-pdf/fpdf, pure Go). The
// store builds the Document; every statement carries the audit event it
// rests on (sequence number and hash) and whether the signed checkpoint
// named in the document covers that event.
package export

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
)

// Formats are the renderings Render accepts.
var Formats = []string{"md", "html", "pdf"}

// Document is the evidence of one record for one ISO/IEC 20000-1 clause.
type Document struct {
	Record     string      `json:"record"` // REL-n, CHG-n, PIR-n, ASSESS-n
	Title      string      `json:"title"`
	Clause     string      `json:"clause"` // e.g. "8.5.3 Release and deployment management"
	Generated  time.Time   `json:"generated"`
	Checkpoint *Checkpoint `json:"checkpoint,omitempty"` // the latest signed checkpoint; nil when none
	Statements []Statement `json:"statements"`
}

// Checkpoint names the signed audit checkpoint statements are checked against.
type Checkpoint struct {
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"` // base64, as in the signed note
}

// Statement is one fact of the record and the audit event it rests on.
type Statement struct {
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	Event   int64     `json:"event"` // audit sequence number
	Hash    string    `json:"hash"`  // the event's chain hash
	Covered bool      `json:"covered"`
}

// Evidence is the line under a statement: its event, hash and checkpoint.
func (d *Document) Evidence(s Statement) string {
	cov := "not yet covered by a signed checkpoint"
	if s.Covered {
		cov = fmt.Sprintf("covered by checkpoint %s size %d", d.Checkpoint.Origin, d.Checkpoint.Size)
	}
	return fmt.Sprintf("audit event %d, hash %s, %s", s.Event, s.Hash, cov)
}

// CheckFormat returns Invalid naming "format" unless f is one of Formats.
func CheckFormat(f string) error {
	if !slices.Contains(Formats, f) {
		return fault.Field("format", "must be one of %s, got %q", strings.Join(Formats, ", "), f)
	}
	return nil
}

// ContentType is the media type of a rendering.
func ContentType(format string) string {
	switch format {
	case "html":
		return "text/html; charset=utf-8"
	case "pdf":
		return "application/pdf"
	}
	return "text/markdown; charset=utf-8"
}

// Render writes d in format (md, html or pdf).
func Render(d *Document, format string) ([]byte, error) {
	if err := CheckFormat(format); err != nil {
		return nil, err
	}
	switch format {
	case "html":
		return renderHTML(d)
	case "pdf":
		return renderPDF(d)
	}
	return []byte(renderMarkdown(d)), nil
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }

// header is the document's preamble lines, shared by every format.
func (d *Document) header() []string {
	cp := "No signed audit checkpoint exists yet: statements rest on the hash chain alone."
	if d.Checkpoint != nil {
		cp = fmt.Sprintf("Checkpoint: %s, size %d, root %s (verify: fixgate audit verify --checkpoint FILE --key PUBKEY).",
			d.Checkpoint.Origin, d.Checkpoint.Size, d.Checkpoint.Root)
	}
	return []string{"ISO/IEC 20000-1:2018 clause " + d.Clause, "Generated " + stamp(d.Generated) + " by fixgate.", cp}
}

func renderMarkdown(d *Document) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s — %s\n\n", d.Record, d.Title)
	for _, h := range d.header() {
		fmt.Fprintf(&b, "%s\n\n", h)
	}
	b.WriteString("## Statements\n")
	for i, s := range d.Statements {
		fmt.Fprintf(&b, "\n%d. %s — %s\n   *Evidence: %s.*\n", i+1, stamp(s.At), s.Text, d.Evidence(s))
	}
	return b.String()
}

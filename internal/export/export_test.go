package export

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func doc() *Document {
	at := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	return &Document{Record: "REL-7", Title: "Release record", Clause: "8.5.3 Release and deployment management", Generated: at,
		Checkpoint: &Checkpoint{Origin: "fixgate.test/audit", Size: 10, Root: "cm9vdA=="},
		Statements: []Statement{
			{Text: "erin (release_manager) recorded release.create on REL-7, revision 1, status planned", At: at, Event: 9, Hash: "ab12", Covered: true},
			{Text: "carol <cab> recorded release.move on REL-7, revision 2, status approved", At: at.Add(time.Hour), Event: 11, Hash: "cd34"},
		}}
}

func TestRenderPDFIsAPDFWithTheRecord(t *testing.T) {
	b, err := Render(doc(), "pdf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-1.")) || !bytes.HasSuffix(bytes.TrimSpace(b), []byte("%%EOF")) || !bytes.Contains(b, []byte("trailer")) {
		t.Fatalf("not a PDF: %q … %q", b[:min(20, len(b))], b[max(0, len(b)-20):])
	}
	if n := len(regexp.MustCompile(`/Type /Page\b`).FindAll(b, -1)); n != 1 {
		t.Errorf("%d pages, want 1", n)
	}
	if !bytes.Contains(b, []byte("(REL-7)")) {
		t.Error("the record id is not in the PDF")
	}
	again, _ := Render(doc(), "pdf")
	if !bytes.Equal(b, again) {
		t.Error("the same document rendered different bytes")
	}
}

func TestRenderHTMLEscapesAndHasNoInlineStyleOrScript(t *testing.T) {
	b, err := Render(doc(), "html")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, "carol &lt;cab&gt;") || strings.Contains(s, "<cab>") {
		t.Errorf("statement text not escaped:\n%s", s)
	}
	if strings.Contains(s, "style") || strings.Contains(s, "<script") {
		t.Errorf("inline style or script:\n%s", s)
	}
	if !strings.Contains(s, "audit event 11, hash cd34, not yet covered by a signed checkpoint") {
		t.Errorf("evidence of the uncovered statement missing:\n%s", s)
	}
}

func TestRenderRefusesUnknownFormat(t *testing.T) {
	if _, err := Render(doc(), "docx"); err == nil || !strings.Contains(err.Error(), "format") {
		t.Fatalf("err = %v", err)
	}
}

package export

import (
	"bytes"
	"fmt"

	"codeberg.org/go-pdf/fpdf"
)

// renderPDF lays the document out on A4 pages with the core Helvetica font
// (text outside Latin-1 is replaced by '?'). The creation date is the
// document's generation time, so one document renders the same bytes.
func renderPDF(d *Document) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true) // deterministic object order
	pdf.SetCreationDate(d.Generated)
	pdf.SetModificationDate(d.Generated)
	pdf.SetTitle(d.Record+" — "+d.Title, true)
	pdf.SetCreator("fixgate", true)
	pdf.SetSubject(d.Record, false) // plain in the info dictionary: the record id is findable in the file
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 15)
	pdf.MultiCell(0, 8, tr(d.Record+" — "+d.Title), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	for _, h := range d.header() {
		pdf.MultiCell(0, 5, tr(h), "", "L", false)
	}
	pdf.Ln(3)
	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 7, "Statements", "", 1, "L", false, 0, "")
	for i, s := range d.Statements {
		pdf.SetFont("Helvetica", "", 10)
		pdf.MultiCell(0, 5, tr(fmt.Sprintf("%d. %s — %s", i+1, stamp(s.At), s.Text)), "", "L", false)
		pdf.SetFont("Helvetica", "I", 8)
		pdf.MultiCell(0, 4, tr("Evidence: "+d.Evidence(s)+"."), "", "L", false)
		pdf.Ln(1)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return b.Bytes(), nil
}

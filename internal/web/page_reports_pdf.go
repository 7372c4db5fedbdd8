package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"fixgate/internal/report"
)

// kpiPDF renders the KPI report as a PDF of its figures: the period and
// filters, then every row of report.Rows (the CSV's) as a table, with the
// core Helvetica font as internal/export's PDFs (text outside Latin-1 is
// replaced). Content streams are left uncompressed: the figures can be
// found in the file as text.
func kpiPDF(k report.KPI, at time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetTitle("fixgate KPI report", true)
	pdf.SetCreator("fixgate", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 15)
	pdf.CellFormat(0, 9, "KPI report", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	scope := fmt.Sprintf("Period %s to %s (UTC)", k.Filter.Since.UTC().Format("2006-01-02 15:04"), k.Filter.Now.UTC().Format("2006-01-02 15:04"))
	if k.Filter.Env != "" {
		scope += ", environment " + k.Filter.Env
	}
	if k.Filter.CI != "" {
		scope += ", CI " + k.Filter.CI
	}
	pdf.MultiCell(0, 5, tr(scope+". Rates are count / total (empty: no data); durations in seconds. Definitions: docs/reports.md."), "", "L", false)
	pdf.Ln(2)
	widths := []float64{62, 56, 20, 20, 22}
	row := func(cells []string, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 8)
		for i, c := range cells {
			align := "L"
			if i >= 2 {
				align = "R"
			}
			pdf.CellFormat(widths[i], 5, tr(fit(c, 40)), "B", 0, align, false, 0, "")
		}
		pdf.Ln(-1)
	}
	row([]string{"figure", "key", "count", "total", "value"}, true)
	for _, r := range report.Rows(k) {
		row([]string{r.Figure, r.Key, strconv.FormatInt(r.Count, 10), strconv.FormatInt(r.Total, 10), r.Value}, false)
	}
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("render the KPI report as pdf: %w", err)
	}
	return b.Bytes(), nil
}

// fit cuts s to n runes, marking the cut.
func fit(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func writeKPIPDF(w http.ResponseWriter, k report.KPI, at time.Time) error {
	b, err := kpiPDF(k, at)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="kpi-report.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

package api

import (
	"net/http"

	"fixgate/internal/export"
)

// exportISO20000 answers the ISO/IEC 20000-1 evidence document of one
// record (REL-n, CHG-n, PIR-n, ASSESS-n) as ?format=md (default), html or pdf.
func (s *Server) exportISO20000(w http.ResponseWriter, r *http.Request, c *call) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	if err := export.CheckFormat(format); err != nil {
		return err
	}
	d, err := s.store.ExportDocument(r.Context(), r.PathValue("record"))
	if err != nil {
		return err
	}
	b, err := export.Render(&d, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+d.Record+"."+format+`"`)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

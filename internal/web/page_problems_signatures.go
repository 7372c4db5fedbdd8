package web

import (
	"net/http"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/matcher"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// previewSamples bounds the incidents a preview lists.
const previewSamples = 20

// signaturePreview is the data of signature_preview.html.
type signaturePreview struct {
	P         problem.Problem
	Input     string // what the reader typed
	Canonical string // the signature as it would be stored ("" when it does not parse)
	Matches   store.RecentMatches
	Count     int
	Samples   []store.IncidentSummary
	Scan      int
	CanAdd    bool
}

// previewSignature shows which incidents of the last 30 days a signature
// (?matcher=) would match, before it is added: the newest
// store.PreviewScan incidents are read (an index leading with opened_at), nothing
// is written. A matcher that does not parse is shown with its error (400).
func (s *Server) previewSignature(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := problemID(r)
	if err != nil {
		return err
	}
	p, err := s.store.GetProblem(r.Context(), id)
	if err != nil {
		return err
	}
	d := signaturePreview{P: p, Input: strings.TrimSpace(r.URL.Query().Get("matcher")), Scan: store.PreviewScan,
		CanAdd: s.allows(v, "POST /problems/{id}/signatures") && p.Status != problem.Closed && p.Status != problem.Canceled}
	vw := &view{Title: "Signature preview · " + p.ID, Path: r.URL.Path, Data: &d}
	status := http.StatusOK
	sel, err := matcher.Parse(d.Input)
	switch {
	case d.Input == "": // the empty form: nothing to preview yet
	case err != nil:
		fe := fault.As(err)
		if fe == nil {
			return err
		}
		vw.Error, vw.Field, status = "matcher: "+fe.Message, "matcher", http.StatusBadRequest
	default:
		d.Canonical = sel.String()
		d.Matches, err = s.store.MatchRecentIncidents(r.Context(), []matcher.Selector{sel}, s.store.Now().Add(-previewWindow), previewSamples)
		if err != nil {
			return err
		}
		d.Count, d.Samples = d.Matches.Counts[0], d.Matches.Samples[0]
	}
	return s.renderView(w, r, v, status, "signature_preview.html", vw)
}

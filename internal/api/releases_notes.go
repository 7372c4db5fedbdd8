package api

import (
	"net/http"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// notesTypes are the media types of the notes formats.
var notesTypes = map[string]string{"md": "text/markdown; charset=utf-8", "markdown": "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8", "json": "application/json"}

// releaseNotes answers the generated notes of a release (without a git
// range: the server never touches a repository) as json (default, schema
// fixgate.release-notes/v1), md (or markdown) or html.
func (s *Server) releaseNotes(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Release.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	ct, ok := notesTypes[format]
	if !ok {
		return fault.Field("format", "must be json, md or html, got %q", format)
	}
	notes, err := s.store.ReleaseNotes(r.Context(), id)
	if err != nil {
		return err
	}
	if format == "json" {
		return writeJSON(w, http.StatusOK, notes)
	}
	b, err := notes.Render(format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(b)
	return err
}

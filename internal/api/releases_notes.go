package api

import (
	"context"
	"net/http"
	"os"
	"path/filepath"

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

// writeArtifact stores the bytes of an artifact the store generates (the
// notes of an approved release) where uploads go: written to a temp file
// and renamed into place, so a reader never sees a partial file. Bytes
// already in place are left as they are (content addressed).
func (s *Server) writeArtifact(_ context.Context, sha string, data []byte) error {
	final := s.artifactPath(sha)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	dir := filepath.Join(s.dataDir, "artifacts", "tmp")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fault.Wrap(err, "artifact directory")
	}
	f, err := os.CreateTemp(dir, "generated-*")
	if err != nil {
		return fault.Wrap(err, "artifact temp file")
	}
	defer os.Remove(f.Name()) // no-op once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.MkdirAll(filepath.Dir(final), 0o750)
	}
	if err == nil {
		err = os.Rename(f.Name(), final)
	}
	return fault.Wrap(err, "store generated artifact")
}

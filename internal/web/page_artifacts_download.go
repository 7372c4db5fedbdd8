package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/fault"
)

// GET /artifacts/{sha256}: an artifact's bytes for a signed-in person, as
// GET /api/v1/artifacts/{sha256} answers them to a token: hashed before the
// first byte is sent (artifact.OpenVerified), so corrupted bytes are
// logged and never served; always an attachment, never rendered inline. A
// purged artifact is NotFound, saying when it went.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request, v *visit) error {
	if s.cfg.Files == nil {
		return fault.New(fault.Unavailable, "this server has no data directory for artifacts (--data-dir)")
	}
	a, err := s.store.GetArtifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	if a.PurgedAt != nil {
		return fault.NotFoundf("artifact %s (%s) was purged at %s by %s: its retention class %s expired",
			a.SHA256, a.Name, a.PurgedAt.UTC().Format(time.RFC3339), a.PurgedBy, a.RetentionClass)
	}
	f, err := artifact.OpenVerified(r.Context(), s.cfg.Files, a.SHA256, a.Size)
	if fault.CodeOf(err) == fault.NotFound {
		return fault.NotFoundf("artifact %s is recorded but its content is missing from the data directory", a.SHA256)
	}
	if errors.Is(err, artifact.ErrCorrupt) {
		s.log.Error("artifact corrupted in storage: not served", "sha256", a.SHA256, "name", a.Name, "err", err)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", a.MediaType)
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	io.Copy(w, f) // a client gone mid-download is not an error of the page
	return nil
}

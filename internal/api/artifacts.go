package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/fault"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

type artifactOut = store.Artifact

// artifacts is where the bytes of artifacts live: files under the data
// directory (artifact.FS), behind the artifact.Storage interface.
func (s *Server) artifacts() artifact.Storage { return artifact.FS{Dir: s.dataDir} }

// uploadArtifact stores the raw body content-addressed and records it.
// Everything the request names is checked before a byte is stored: the
// name (a plain file name: no path), the kind, and the retention class
// against the policy's list. With sha256 the bytes must hash to it (a
// corrupted upload stores nothing). If recording fails, bytes this request
// stored are deleted again, so a failed upload leaves neither bytes nor
// row. Answers 201 for a new (or restored) artifact and 200 when the same
// bytes were already stored.
func (s *Server) uploadArtifact(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	meta := store.Artifact{Name: q.Get("name"), RetentionClass: q.Get("retention_class"), SHA256: strings.Repeat("0", 64)}
	if err := meta.Validate(); err != nil {
		return err
	}
	kind := q.Get("kind")
	if kind != "" && !slices.Contains(release.ArtifactKinds, kind) {
		return fault.Field("kind", "must be one of %s, got %q", strings.Join(release.ArtifactKinds, ", "), kind)
	}
	want := q.Get("sha256")
	if want != "" && !store.ValidSHA256(want) {
		return fault.Field("sha256", "must be 64 lower-case hex digits (the digest of the bytes sent)")
	}
	if meta.RetentionClass != "" {
		pol, err := s.currentPolicy(r.Context())
		if err != nil {
			return err
		}
		if err := pol.pol.CheckRetentionClass("retention_class", meta.RetentionClass); err != nil {
			return err
		}
	}
	if s.dataDir == "" {
		return fault.New(fault.Unavailable, "this server has no data directory for artifacts (--data-dir)")
	}
	files := s.artifacts()
	obj, err := files.Put(r.Context(), r.Body, want)
	if err != nil {
		return tooLarge(err)
	}
	meta.SHA256, meta.Size = obj.SHA256, obj.Size
	meta.MediaType = mediaType(r.Context(), files, r.Header.Get("Content-Type"), meta.Name, obj.SHA256)
	out, created, err := s.store.PutArtifact(r.Context(), c.actor, meta, kind)
	if err != nil {
		if obj.Created { // unless a concurrent upload of the same bytes recorded them (store.DropArtifactBytes)
			s.store.DropArtifactBytes(context.WithoutCancel(r.Context()), c.actor, obj.SHA256, files)
		}
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

// tooLarge names a body over the route's limit as TooLarge on "body".
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fault.Error{Code: fault.TooLarge, Field: "body", Message: "artifact exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes; nothing was stored"}
	}
	return err
}

// mediaType picks the stored media type: the request's Content-Type when
// it says something more specific than octet-stream, else the type of the
// name's extension, else a sniff of the first bytes.
func mediaType(ctx context.Context, files artifact.Storage, header, name, sha string) string {
	if mt, params, err := mime.ParseMediaType(header); err == nil && mt != "application/octet-stream" {
		return mime.FormatMediaType(mt, params)
	}
	if mt := mime.TypeByExtension(filepath.Ext(name)); mt != "" {
		return mt
	}
	f, err := files.Open(ctx, sha)
	if err != nil {
		return "application/octet-stream"
	}
	defer f.Close()
	buf := make([]byte, 512)
	n, _ := io.ReadFull(f, buf)
	return http.DetectContentType(buf[:n])
}

func (s *Server) getArtifactMeta(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.store.GetArtifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// downloadArtifact answers the stored bytes as an attachment, never
// rendered inline, after checking they still hash to their digest
// (artifact.OpenVerified): corrupted bytes are logged and answered as an
// error, never sent. A purged artifact is NotFound, saying when it went.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.store.GetArtifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	if a.PurgedAt != nil {
		return fault.NotFoundf("artifact %s (%s) was purged at %s by %s: its retention class %s expired",
			a.SHA256, a.Name, a.PurgedAt.Format(time.RFC3339), a.PurgedBy, a.RetentionClass)
	}
	f, err := artifact.OpenVerified(r.Context(), s.artifacts(), a.SHA256, a.Size)
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
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	h.Set("Content-Length", strconv.FormatInt(a.Size, 10))
	h.Set("ETag", `"sha256:`+a.SHA256+`"`)
	h.Set("Cache-Control", "private, immutable")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		io.Copy(w, f)
	}
	return nil
}

package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

type artifactOut = store.Artifact

// artifactPath is where the bytes of sha live: <data>/artifacts/<aa>/<sha>.
func (s *Server) artifactPath(sha string) string {
	return filepath.Join(s.dataDir, "artifacts", sha[:2], sha)
}

// uploadArtifact stores the raw body content-addressed and records it. The
// bytes go to a temp file (hashed on the way), which is renamed into place
// only once complete; if recording fails, a file this request created is
// removed again, so a failed upload leaves neither file nor row. Answers
// 201 for a new artifact and 200 when the same bytes were already stored.
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
	if s.dataDir == "" {
		return fault.New(fault.Unavailable, "this server has no data directory for artifacts (--data-dir)")
	}
	tmp, sum, size, err := s.receive(r.Body)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // no-op once renamed
	meta.SHA256, meta.Size = sum, size
	meta.MediaType = mediaType(r.Header.Get("Content-Type"), meta.Name, tmp)
	final := s.artifactPath(sum)
	_, statErr := os.Stat(final)
	existed := statErr == nil
	if !existed {
		if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
			return fault.Wrap(err, "artifact directory")
		}
		if err := os.Rename(tmp, final); err != nil {
			return fault.Wrap(err, "store artifact")
		}
	}
	out, created, err := s.store.PutArtifact(r.Context(), c.actor, meta, kind)
	if err != nil {
		if !existed {
			os.Remove(final)
		}
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

// receive copies body into a temp file under the artifact directory and
// returns its path, hex sha256 and size. The temp file is removed on error.
func (s *Server) receive(body io.Reader) (path, sum string, size int64, err error) {
	dir := filepath.Join(s.dataDir, "artifacts", "tmp")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", "", 0, fault.Wrap(err, "artifact directory")
	}
	f, err := os.CreateTemp(dir, "upload-*")
	if err != nil {
		return "", "", 0, fault.Wrap(err, "artifact temp file")
	}
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", "", 0, &fault.Error{Code: fault.TooLarge, Field: "body", Message: "artifact exceeds " + strconv.FormatInt(mbe.Limit, 10) + " bytes"}
		}
		return "", "", 0, fault.Wrap(err, "receive artifact")
	}
	if size == 0 {
		os.Remove(f.Name())
		return "", "", 0, fault.Field("body", "an artifact cannot be empty")
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), size, nil
}

// mediaType picks the stored media type: the request's Content-Type when
// it says something more specific than octet-stream, else the type of the
// name's extension, else a sniff of the first bytes.
func mediaType(header, name, path string) string {
	if mt, params, err := mime.ParseMediaType(header); err == nil && mt != "application/octet-stream" {
		return mime.FormatMediaType(mt, params)
	}
	if mt := mime.TypeByExtension(filepath.Ext(name)); mt != "" {
		return mt
	}
	f, err := os.Open(path)
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

// downloadArtifact answers the stored bytes as an attachment, never rendered inline.
func (s *Server) downloadArtifact(w http.ResponseWriter, r *http.Request, c *call) error {
	a, err := s.store.GetArtifact(r.Context(), r.PathValue("sha256"))
	if err != nil {
		return err
	}
	f, err := os.Open(s.artifactPath(a.SHA256))
	if errors.Is(err, fs.ErrNotExist) {
		return fault.NotFoundf("artifact %s is recorded but its content is missing from the data directory", a.SHA256)
	}
	if err != nil {
		return fault.Wrap(err, "open artifact")
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

package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"fixgate/internal/fault"
)

// FS keeps artifacts as files under Dir: Dir/artifacts/<aa>/<sha256>, where
// <aa> is the digest's first two hex digits. Uploads are written to
// Dir/artifacts/tmp, hashed on the way, and renamed into place only once
// complete and checked, so a file at its final path is always whole.
type FS struct {
	Dir string
}

func (s FS) path(sha string) (string, error) {
	if !ValidSHA256(sha) {
		return "", fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	return filepath.Join(s.Dir, "artifacts", sha[:2], sha), nil
}

// Put implements Storage.
func (s FS) Put(ctx context.Context, body io.Reader, want string) (Object, error) {
	tmp, sum, size, err := s.receive(body)
	if err != nil {
		return Object{}, err
	}
	defer os.Remove(tmp) // no-op once renamed
	if want != "" && want != sum {
		return Object{}, fault.Field("sha256", "the uploaded bytes hash to %s, not %s: the upload is corrupted or the digest is wrong; nothing was stored", sum, want)
	}
	final, _ := s.path(sum)
	if _, err := os.Stat(final); err == nil {
		return Object{SHA256: sum, Size: size}, nil
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return Object{}, fault.Wrap(err, "artifact directory")
	}
	if err := os.Rename(tmp, final); err != nil {
		return Object{}, fault.Wrap(err, "store artifact")
	}
	return Object{SHA256: sum, Size: size, Created: true}, nil
}

// receive copies body into a temp file and returns its path, hex sha256
// and size. The temp file is removed on error.
func (s FS) receive(body io.Reader) (path, sum string, size int64, err error) {
	dir := filepath.Join(s.Dir, "artifacts", "tmp")
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
	if err == nil && size == 0 {
		err = fault.Field("body", "an artifact cannot be empty")
	}
	if err != nil {
		os.Remove(f.Name())
		return "", "", 0, err
	}
	return f.Name(), hex.EncodeToString(h.Sum(nil)), size, nil
}

// Open implements Storage.
func (s FS) Open(_ context.Context, sha string) (io.ReadSeekCloser, error) {
	p, err := s.path(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fault.NotFoundf("artifact %s is missing from storage", sha)
	}
	if err != nil {
		return nil, fault.Wrap(err, "open artifact")
	}
	return f, nil
}

// Stat implements Storage.
func (s FS) Stat(_ context.Context, sha string) (int64, error) {
	p, err := s.path(sha)
	if err != nil {
		return 0, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, fault.NotFoundf("artifact %s is missing from storage", sha)
	}
	if err != nil {
		return 0, fault.Wrap(err, "stat artifact")
	}
	return fi.Size(), nil
}

// Delete implements Storage.
func (s FS) Delete(_ context.Context, sha string) error {
	p, err := s.path(sha)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fault.Wrap(err, "delete artifact")
	}
	return nil
}

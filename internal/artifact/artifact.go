// Package artifact keeps the bytes of artifacts, addressed by their SHA-256
// digest, behind a small interface (Storage) so that another backend (an
// S3-compatible object store) can replace the filesystem one (FS). It knows
// nothing of the database: the store keeps each artifact's metadata, and
// the API puts the two together.
package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"

	"fixgate/internal/fault"
)

// Storage keeps artifact bytes by digest. Implementations are safe for
// concurrent use; storing the same bytes twice keeps one copy.
type Storage interface {
	// Put stores the bytes of body and returns their digest and size.
	// When want is not "" and the bytes hash otherwise, nothing is stored
	// and the error is Invalid naming "sha256". An empty body is Invalid
	// naming "body". A body's read error (such as http.MaxBytesError) is
	// returned wrapped, nothing stored.
	Put(ctx context.Context, body io.Reader, want string) (Object, error)
	// Open returns the stored bytes of sha; NotFound when there are none.
	Open(ctx context.Context, sha string) (io.ReadSeekCloser, error)
	// Stat returns the stored size of sha; NotFound when there are none.
	Stat(ctx context.Context, sha string) (int64, error)
	// Delete removes the bytes of sha; nil when there were none.
	Delete(ctx context.Context, sha string) error
}

// Object is what Put stored: the digest (64 lower-case hex digits), the
// size, and whether the bytes were new (false: already stored).
type Object struct {
	SHA256  string
	Size    int64
	Created bool
}

// ErrCorrupt is the error of OpenVerified when stored bytes no longer hash
// to their digest.
var ErrCorrupt = errors.New("stored bytes do not match their digest")

// OpenVerified opens the bytes of sha and reads them once to check they
// hash to sha and have size bytes before anything is sent: a corrupted
// file returns an Internal error wrapping ErrCorrupt, never the bytes. On
// success the reader is positioned at the start. Hashing first reads the
// file twice, which is cheap (the second read comes from the page cache for
// the sizes the API accepts) and needs no temporary copy.
func OpenVerified(ctx context.Context, st Storage, sha string, size int64) (io.ReadSeekCloser, error) {
	f, err := st.Open(ctx, sha)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fault.Wrap(err, "verify artifact %s", sha)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha || n != size {
		f.Close()
		return nil, &fault.Error{Code: fault.Internal, Err: ErrCorrupt,
			Message: "artifact " + sha + " is corrupted in storage (its bytes hash to " + got + "); it is not served: restore it from a backup"}
	}
	return f, nil
}

// ValidSHA256 reports whether s is 64 lower-case hex digits.
func ValidSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

//go:build !unix

package demo

import (
	"errors"
	"os"

	"fixgate/internal/fault"
)

// Lock takes the demo's lock on the SQLite database at path: the file
// path+".lock", created exclusively and removed by release. Returns
// Conflict when it exists (another demo runs, or one crashed: remove the
// file once no demo runs).
func Lock(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fault.Conflictf("another fixgate demo is running on %s (%s.lock exists; remove it if no demo runs)", path, path)
	}
	if err != nil {
		return nil, fault.Field("db", "cannot create the demo lock file %s.lock: %v", path, err).Because(err)
	}
	return func() { f.Close(); os.Remove(f.Name()) }, nil
}

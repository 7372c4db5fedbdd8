//go:build unix

package demo

import (
	"errors"
	"os"
	"syscall"

	"fixgate/internal/fault"
)

// Lock takes the demo's advisory lock on the SQLite database at path: an
// exclusive flock on path+".lock", held until release is called or the
// process ends (the kernel drops it when the process dies, so a crashed demo
// leaves no stale lock). A demo takes it before it removes or loads the
// database and keeps it while it serves. Returns Conflict when another
// process holds it: that demo's database must not be touched.
func Lock(path string) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fault.Field("db", "cannot open the demo lock file %s.lock: %v", path, err).Because(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fault.Conflictf("another fixgate demo is running on %s (it holds %s.lock); stop it first", path, path)
		}
		return nil, fault.Field("db", "cannot lock %s.lock: %v", path, err).Because(err)
	}
	return func() { f.Close() }, nil
}

package store

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"fixgate/internal/fault"
)

// Backup writes a consistent copy of a SQLite database to path with
// VACUUM INTO: online (the server keeps serving; the copy is one read
// transaction's snapshot), compacted, and a database of its own that
// `fixgate serve --db sqlite:PATH` or `audit verify` opens as it is. path
// must not exist. PostgreSQL is backed up with its own tools (pg_dump):
// Backup refuses it, naming them.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return fault.Field("db", "backs up SQLite only; back up PostgreSQL with pg_dump (see docs/operations.md)")
	}
	if path == "" {
		return fault.Field("to", "is required")
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return fault.Field("to", "%s already exists: a backup never overwrites a file", path)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fault.Wrap(err, "backup to %s", path)
	}
	return nil
}

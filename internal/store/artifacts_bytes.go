package store

import (
	"context"
	"strconv"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// An artifact's bytes live in an artifact.Storage and its row in the
// database; no transaction spans both. They agree by one rule, on SQLite
// and PostgreSQL alike:
//
//   - bytes are deleted only by DropArtifactBytes: holding the digest's
//     lock, after reading that no live (not purged) row claims them;
//   - a row becomes live (uploaded, restored, renewed) or gains a release
//     only holding the digest's lock; an upload's row checks there that
//     its bytes are still stored (requireBytes).
//
// So a purge that marked a row purged and then deletes its bytes cannot
// delete bytes that an upload made live again meanwhile: either the upload
// committed first (the purge then sees a live row and keeps the bytes), or
// the purge deleted first (the upload then finds them gone and is refused,
// Unavailable: upload again). The digest's lock is PostgreSQL's
// transaction-scoped advisory lock on the digest's first 64 bits; on
// SQLite every write transaction already holds the one write lock.
// Bytes a failed transaction stored are dropped by the same rule
// (Tx.onRollback), so a failure leaves no orphan.

// SetArtifactStorage installs where artifact bytes live (the API's data
// directory). The store uses it to store the notes of an approved release,
// to check an upload's bytes when its row becomes live, and to drop bytes
// a failed transaction stored. Call it before the store serves requests.
// Without one, no notes are stored and uploads are not checked.
func (s *Store) SetArtifactStorage(files artifact.Storage) { s.files = files }

// lockDigest takes the lock of digest sha until the transaction ends.
func (tx *Tx) lockDigest(ctx context.Context, sha string) error {
	if tx.dialect != Postgres {
		return nil // BEGIN IMMEDIATE: this transaction holds the write lock
	}
	key, err := strconv.ParseUint(sha[:16], 16, 64)
	if err != nil {
		return fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	_, err = tx.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(key))
	return err
}

// requireBytes checks, holding the digest's lock, that the bytes of sha
// are stored: Unavailable (retry: upload again) when a purge deleted them
// since the upload stored them. Without a storage there is nothing to check.
func (tx *Tx) requireBytes(ctx context.Context, sha string) error {
	files := tx.store.files
	if files == nil {
		return nil
	}
	_, err := files.Stat(ctx, sha)
	if fault.CodeOf(err) == fault.NotFound {
		return fault.New(fault.Unavailable, "the bytes of artifact %s were purged while this upload was being recorded; "+
			"nothing was recorded: upload it again", sha)
	}
	return err
}

// liveRow reports whether a live (not purged) artifact row claims sha.
func (tx *Tx) liveRow(ctx context.Context, sha string) (bool, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM artifacts WHERE sha256 = $1 AND purged_at IS NULL`, sha).Scan(&n)
	return n > 0, err
}

// DropArtifactBytes deletes the bytes of sha from files unless a live
// artifact row claims them, holding the digest's lock: the bytes of a
// purged artifact, or bytes that no row records (a failed upload's). It
// reports whether it deleted (deleting bytes already gone is harmless).
// It writes no audit event: the purge that made the row a tombstone has
// its own.
func (s *Store) DropArtifactBytes(ctx context.Context, a audit.Actor, sha string, files artifact.Storage) (bool, error) {
	if !ValidSHA256(sha) {
		return false, fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	var dropped bool
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.lockDigest(ctx, sha); err != nil {
			return err
		}
		live, err := tx.liveRow(ctx, sha)
		if err != nil || live {
			return err
		}
		dropped = true
		return files.Delete(ctx, sha)
	})
	return dropped, errf(err, "drop artifact bytes")
}

// dropOnRollback drops the bytes of sha (DropArtifactBytes) if tx does not
// commit: for bytes tx stored itself.
func (tx *Tx) dropOnRollback(sha string, files artifact.Storage) {
	s, a := tx.store, tx.actor
	tx.onRollback(func(ctx context.Context) {
		s.DropArtifactBytes(ctx, a, sha, files) // a failure leaves unclaimed bytes, never a row without its bytes
	})
}

// attachableArtifact returns the name of artifact sha for an attach to a
// release, holding the digest's lock (a purge in flight commits first).
// Returns Invalid naming "sha256" when it was never uploaded or was
// purged: a release carries bytes that exist.
func (tx *Tx) attachableArtifact(ctx context.Context, sha string) (string, error) {
	if err := tx.lockDigest(ctx, sha); err != nil {
		return "", err
	}
	a, err := tx.getArtifact(ctx, sha)
	if fault.CodeOf(err) == fault.NotFound {
		return "", fault.Field("sha256", "artifact %s has not been uploaded (POST /api/v1/artifacts first)", sha)
	}
	if err != nil {
		return "", err
	}
	if a.PurgedAt != nil {
		return "", fault.Field("sha256", "artifact %s (%s) was purged at %s: upload it again before attaching it",
			sha, a.Name, a.PurgedAt.UTC().Format(time.RFC3339))
	}
	return a.Name, nil
}

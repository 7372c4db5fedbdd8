package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/release"
)

// TagRelease records the git tag and commit a release was cut from
// (release.Release.SetTag decides), guarded by ifRev (0 skips the check),
// with its audit event "release.tag". The tag itself is created by the
// client in its own repository: the server never touches one. Recording
// the same tag and commit again changes nothing and returns the release.
// Returns NotFound, PreconditionFailed on a stale revision, Invalid naming
// "tag" or "commit", Conflict when the release already has another tag;
// nothing is written on error.
func (s *Store) TagRelease(ctx context.Context, a audit.Actor, id, ifRev int64, tag, commit string) (release.Release, error) {
	var r release.Release
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getRelease(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("release "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		r = before
		changed, err := r.SetTag(tag, commit)
		if err != nil || !changed {
			return err
		}
		r.Revision, r.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "release "+before.ID, before.Revision,
			`UPDATE releases SET tag = $1, tag_commit = $2, rev = $3, updated_at = $4 WHERE id = $5 AND rev = $6`,
			r.Tag, r.Commit, r.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "release.tag", "release", r.ID, r.Revision, before, r)
	})
	return r, err
}

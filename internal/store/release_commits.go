package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// ReleaseCommits is the git range a release was built from, as a client
// walked it in its own repository (fixgate release notes --record): the
// refs given, From excluded ("" for the root), To included, and the
// commits in it. The failure-patterns report bins a release's size by
// Commits; a release without one is "unknown".
type ReleaseCommits struct {
	Release    string    `json:"release"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Commits    int64     `json:"commits"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
	Revision   int64     `json:"revision"` // the release's revision after the record
}

// maxRef bounds a recorded git ref (a branch, tag, or commit id).
const maxRef = 255

// checkCommits validates a range to record.
func checkCommits(from, to string, count int64) error {
	switch {
	case to == "":
		return fault.Field("to", "is required: the end of the range (a ref or commit id)")
	case len(from) > maxRef || !utf8.ValidString(from):
		return fault.Field("from", "must be a git ref of at most %d bytes", maxRef)
	case len(to) > maxRef || !utf8.ValidString(to):
		return fault.Field("to", "must be a git ref of at most %d bytes", maxRef)
	case count < 0:
		return fault.Field("commits", "must be 0 or more, got %d", count)
	}
	return nil
}

// SetReleaseCommits records the git range from..to of release id and its
// commit count, guarded by ifRev (the release's revision; 0 skips the
// check): the release's revision is raised and the record's audit event
// "release.commits" (before: the previous range, or null) is written in
// the same transaction. Recording the same range and count again changes
// nothing. Returns NotFound, PreconditionFailed on a stale revision, or
// Invalid naming "from", "to" or "commits"; nothing is written on error.
func (s *Store) SetReleaseCommits(ctx context.Context, a audit.Actor, id, ifRev int64, from, to string, count int64) (ReleaseCommits, error) {
	var out ReleaseCommits
	if err := checkCommits(from, to, count); err != nil {
		return out, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		rel, err := tx.getRelease(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("release "+rel.ID, rel.Revision, ifRev); err != nil {
			return err
		}
		before, err := tx.releaseCommits(ctx, id)
		if err != nil {
			return err
		}
		if before != nil && before.From == from && before.To == to && before.Commits == count {
			out = *before
			out.Revision = rel.Revision
			return nil
		}
		out = ReleaseCommits{Release: rel.ID, From: from, To: to, Commits: count, RecordedBy: a.User, RecordedAt: tx.now,
			Revision: rel.Revision + 1}
		if err := tx.updateRev(ctx, "release "+rel.ID, rel.Revision, `UPDATE releases SET rev = $1, updated_at = $2
			WHERE id = $3 AND rev = $4`, out.Revision, ts(tx.now), id, rel.Revision); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO release_commits (release_id, from_ref, to_ref, commits, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (release_id) DO UPDATE SET from_ref = excluded.from_ref,
			to_ref = excluded.to_ref, commits = excluded.commits, recorded_by = excluded.recorded_by,
			recorded_at = excluded.recorded_at`, id, from, to, count, a.User, ts(tx.now)); err != nil {
			return err
		}
		var b any
		if before != nil {
			b = before
		}
		return tx.auditEvent(ctx, "release.commits", "release", rel.ID, out.Revision, b, out)
	})
	return out, err
}

// GetReleaseCommits returns the range recorded on release id, NotFound
// when the release has none (or does not exist).
func (s *Store) GetReleaseCommits(ctx context.Context, id int64) (ReleaseCommits, error) {
	var out ReleaseCommits
	err := s.read(ctx, func(tx *Tx) error {
		rc, err := tx.releaseCommits(ctx, id)
		if err != nil {
			return err
		}
		if rc == nil {
			return fault.NotFoundf("release %s has no recorded commits", ident.Release.Format(id))
		}
		out = *rc
		return tx.queryRow(ctx, `SELECT rev FROM releases WHERE id = $1`, id).Scan(&out.Revision)
	})
	return out, err
}

// releaseCommits reads the range recorded on release id (nil: none).
func (tx *Tx) releaseCommits(ctx context.Context, id int64) (*ReleaseCommits, error) {
	rc := ReleaseCommits{Release: ident.Release.Format(id)}
	err := tx.queryRow(ctx, `SELECT from_ref, to_ref, commits, recorded_by, recorded_at FROM release_commits WHERE release_id = $1`,
		id).Scan(&rc.From, &rc.To, &rc.Commits, &rc.RecordedBy, timeCol{&rc.RecordedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &rc, nil
}

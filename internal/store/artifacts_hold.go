package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// holdChange is the audited payload of a hold being placed or lifted.
type holdChange struct {
	Held   bool   `json:"held"`
	Reason string `json:"reason"`
}

// SetArtifactHold places (on) or lifts a legal hold on the artifact sha, a
// compare-and-set on its revision (ifRev 0 skips the check), audited as
// artifact.hold or artifact.unhold with the reason. artifact.Hold decides:
// Invalid naming "reason", Conflict when already held (or not held).
func (s *Store) SetArtifactHold(ctx context.Context, a audit.Actor, sha string, ifRev int64, on bool, reason string) (Artifact, error) {
	var out Artifact
	if !ValidSHA256(sha) {
		return out, fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getArtifact(ctx, sha)
		if err != nil {
			return err
		}
		if err := checkRev("artifact "+sha, before.Revision, ifRev); err != nil {
			return err
		}
		out = before
		what := "artifact " + sha
		if on {
			out.Hold, err = before.Hold.Set(what, reason, a.User, tx.now)
		} else {
			out.Hold, err = before.Hold.Release(what, reason)
		}
		if err != nil {
			return err
		}
		out.Revision = before.Revision + 1
		if err := tx.updateRev(ctx, what, before.Revision, `UPDATE artifacts SET hold_reason = $1, held_by = $2, held_at = $3, rev = $4
			WHERE sha256 = $5 AND rev = $6`, out.Hold.Reason, out.Hold.By, tsp(out.Hold.At), out.Revision, sha, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, holdAction("artifact", on), "artifact", sha, out.Revision, before, struct {
			Artifact
			Change holdChange `json:"change"`
		}{out, holdChange{on, reason}})
	})
	return out, err
}

func holdAction(kind string, on bool) string {
	if on {
		return kind + ".hold"
	}
	return kind + ".unhold"
}

// ReleaseLegalHold is the legal hold of a release (the zero Hold: none)
// and the release's revision.
type ReleaseLegalHold struct {
	Release  string        `json:"release"`
	Hold     artifact.Hold `json:"hold"`
	Revision int64         `json:"revision"`
}

// ReleaseHold returns the legal hold of release id. Returns NotFound when
// the release does not exist.
func (s *Store) ReleaseHold(ctx context.Context, id int64) (ReleaseLegalHold, error) {
	r, err := s.GetRelease(ctx, id)
	if err != nil {
		return ReleaseLegalHold{}, err
	}
	h, err := releaseHold(ctx, s.db, id)
	return ReleaseLegalHold{Release: r.ID, Hold: h, Revision: r.Revision}, errf(err, "release hold")
}

func releaseHold(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id int64) (artifact.Hold, error) {
	var h artifact.Hold
	err := q.QueryRowContext(ctx, `SELECT reason, held_by, held_at FROM release_holds WHERE release_id = $1`, id).Scan(&h.Reason, &h.By, nullTimeCol{&h.At})
	if errors.Is(err, sql.ErrNoRows) {
		return artifact.Hold{}, nil
	}
	return h, err
}

// SetReleaseHold places (on) or lifts a legal hold on release id: while it
// holds, no artifact attached to the release is purged. A compare-and-set
// on the release's revision (ifRev 0 skips the check), audited as
// release.hold or release.unhold with the reason; errors as SetArtifactHold.
func (s *Store) SetReleaseHold(ctx context.Context, a audit.Actor, id, ifRev int64, on bool, reason string) (ReleaseLegalHold, error) {
	var out ReleaseLegalHold
	err := s.write(ctx, a, func(tx *Tx) error {
		r, err := tx.getRelease(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("release "+r.ID, r.Revision, ifRev); err != nil {
			return err
		}
		before, err := releaseHold(ctx, tx.tx, id)
		if err != nil {
			return err
		}
		out.Release, out.Revision = r.ID, r.Revision+1
		if on {
			out.Hold, err = before.Set("release "+r.ID, reason, a.User, tx.now)
		} else {
			out.Hold, err = before.Release("release "+r.ID, reason)
		}
		if err != nil {
			return err
		}
		if on {
			_, err = tx.exec(ctx, `INSERT INTO release_holds (release_id, reason, held_by, held_at) VALUES ($1, $2, $3, $4)`, id, out.Hold.Reason, out.Hold.By, tsp(out.Hold.At))
		} else {
			_, err = tx.exec(ctx, `DELETE FROM release_holds WHERE release_id = $1`, id)
		}
		if err != nil {
			return err
		}
		if err := tx.updateRev(ctx, "release "+r.ID, r.Revision, `UPDATE releases SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
			r.Revision+1, ts(tx.now), id, r.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, holdAction("release", on), "release", r.ID, out.Revision, ReleaseLegalHold{r.ID, before, r.Revision},
			struct {
				ReleaseLegalHold
				Change holdChange `json:"change"`
			}{out, holdChange{on, reason}})
	})
	return out, err
}

// heldReleasesOf lists the held releases (REL-n) the artifact sha is attached to.
func heldReleasesOf(ctx context.Context, q querier, sha string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT ra.release_id FROM release_artifacts ra JOIN release_holds h ON h.release_id = ra.release_id
		WHERE ra.sha256 = $1 ORDER BY ra.release_id`, sha)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, ident.Release.Format(id))
	}
	return out, rows.Err()
}

package store

import (
	"context"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/policy"
)

// Retention is enforced in two steps so that a row never points at missing
// bytes without the audit trail saying so: PurgeArtifact first marks the
// row purged (a tombstone) with its artifact.purge event, in one
// transaction, and only then does the caller delete the bytes, through
// DropArtifactBytes, which keeps them if an upload restored the row in
// between (artifacts_bytes.go). A crash in between leaves bytes whose row
// already says purged; the next run deletes them (PurgedArtifacts). The
// opposite order could lose bytes that a committed row still claims.

// PurgeCandidate is an artifact whose retention has expired and that no
// legal hold keeps.
type PurgeCandidate struct {
	SHA256         string    `json:"sha256"`
	Name           string    `json:"name"`
	Size           int64     `json:"size"`
	RetentionClass string    `json:"retention_class"`
	CreatedAt      time.Time `json:"created_at"`
	ExpiredAt      time.Time `json:"expired_at"`
}

// ExpiredArtifacts lists the artifacts a purge at time at would delete:
// not purged, expired under the policy in force (a forever class, or a
// class the policy no longer lists, never expires), not on hold and not
// attached to a held release. Oldest first.
func (s *Store) ExpiredArtifacts(ctx context.Context, at time.Time) ([]PurgeCandidate, error) {
	var out []PurgeCandidate
	err := s.read(ctx, func(tx *Tx) error {
		pol, err := tx.policyInForce(ctx)
		if err != nil {
			return err
		}
		out, err = tx.expired(ctx, pol, at)
		return err
	})
	return out, errf(err, "expired artifacts")
}

func (tx *Tx) expired(ctx context.Context, pol *policy.Policy, at time.Time) ([]PurgeCandidate, error) {
	out := []PurgeCandidate{}
	for _, class := range pol.RetentionNames() {
		if _, ok := pol.Expiry(class, at); !ok {
			continue
		}
		cut := at.Add(-time.Duration(pol.RetentionClasses[class].Keep))
		rows, err := tx.query(ctx, `SELECT a.sha256, a.name, a.size, a.retention_class, a.created_at FROM artifacts a
			WHERE a.purged_at IS NULL AND a.hold_reason = '' AND a.retention_class = $1 AND a.created_at <= $2
			AND NOT EXISTS (SELECT 1 FROM release_artifacts ra JOIN release_holds h ON h.release_id = ra.release_id WHERE ra.sha256 = a.sha256)
			ORDER BY a.created_at, a.sha256`, class, ts(cut))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c PurgeCandidate
			if err := rows.Scan(&c.SHA256, &c.Name, &c.Size, &c.RetentionClass, timeCol{&c.CreatedAt}); err != nil {
				rows.Close()
				return nil, err
			}
			c.ExpiredAt, _ = pol.Expiry(class, c.CreatedAt)
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PurgeArtifact marks the artifact sha purged at time at, with its
// artifact.purge audit event, when it still qualifies (ExpiredArtifacts'
// conditions, checked again under the row locks of the artifact and of the
// releases it is attached to, so a concurrent hold or a second purger
// waits and then sees the new state; the digest's lock, so an upload or an
// attach in flight commits first). It returns false, writing nothing, when
// the artifact no longer qualifies (renewed, held) or another purge marked
// it first. After true, the caller drops the bytes (DropArtifactBytes).
func (s *Store) PurgeArtifact(ctx context.Context, a audit.Actor, sha string, at time.Time) (bool, error) {
	var purged bool
	err := s.write(ctx, a, func(tx *Tx) error {
		if _, err := tx.exec(ctx, `SELECT id FROM releases WHERE id IN (SELECT release_id FROM release_artifacts WHERE sha256 = $1)`+tx.forUpdate(), sha); err != nil {
			return err
		}
		if err := tx.lockDigest(ctx, sha); err != nil { // an upload or attach in flight commits first (artifacts_bytes.go)
			return err
		}
		before, err := tx.getArtifact(ctx, sha)
		if err != nil {
			return err
		}
		pol, err := tx.policyInForce(ctx)
		if err != nil {
			return err
		}
		exp, expires := pol.Expiry(before.RetentionClass, before.CreatedAt)
		if before.PurgedAt != nil || before.Hold.Held() || !expires || exp.After(at) {
			return nil
		}
		held, err := heldReleasesOf(ctx, tx.tx, sha)
		if err != nil || len(held) > 0 {
			return err
		}
		after := before
		after.PurgedAt, after.PurgedBy, after.Revision = &tx.now, tx.actor.User, before.Revision+1
		if err := tx.updateRev(ctx, "artifact "+sha, before.Revision, `UPDATE artifacts SET purged_at = $1, purged_by = $2, rev = $3
			WHERE sha256 = $4 AND rev = $5 AND purged_at IS NULL`, ts(tx.now), after.PurgedBy, after.Revision, sha, before.Revision); err != nil {
			return err
		}
		purged = true
		return tx.auditEvent(ctx, "artifact.purge", "artifact", sha, after.Revision, before, struct {
			Artifact
			ExpiredAt time.Time `json:"expired_at"`
		}{after, exp})
	})
	return purged, err
}

// PurgedArtifacts lists the digests of purged artifacts (tombstones), so a
// purge run can delete bytes a crash left behind. Deleting bytes that are
// already gone is harmless.
func (s *Store) PurgedArtifacts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT sha256 FROM artifacts WHERE purged_at IS NOT NULL ORDER BY sha256`)
	if err != nil {
		return nil, errf(err, "purged artifacts")
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return nil, errf(err, "purged artifacts")
		}
		out = append(out, sha)
	}
	return out, errf(rows.Err(), "purged artifacts")
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// Artifact is the stored metadata of a content-addressed file. The bytes
// live outside the database (artifact.Storage). RetentionClass is one of
// the policy's retention classes. A purged artifact keeps its row as a
// tombstone (PurgedAt, PurgedBy): its bytes are gone.
type Artifact struct {
	SHA256         string        `json:"sha256"`
	Name           string        `json:"name"`
	Size           int64         `json:"size"`
	MediaType      string        `json:"media_type"`
	RetentionClass string        `json:"retention_class"`
	Revision       int64         `json:"revision"`
	Hold           artifact.Hold `json:"hold"`                    // zero ({}): not held
	ReleaseHolds   []string      `json:"release_holds,omitempty"` // held releases it is attached to (GetArtifact)
	PurgedAt       *time.Time    `json:"purged_at,omitempty"`
	PurgedBy       string        `json:"purged_by,omitempty"`
	CreatedBy      string        `json:"created_by"`
	CreatedAt      time.Time     `json:"created_at"`
}

// Validate checks and normalises the fields a client sets; the retention
// class is checked against the policy by PutArtifact. Returns Invalid
// naming the field. A name is a plain file name: no path separators, no
// "." or "..", no control characters.
func (a *Artifact) Validate() error {
	if !ValidSHA256(a.SHA256) {
		return fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		return fault.Field("name", "is required")
	}
	if len(a.Name) > 200 || strings.ContainsAny(a.Name, `/\`) || a.Name == "." || a.Name == ".." || strings.IndexFunc(a.Name, unicode.IsControl) >= 0 {
		return fault.Field("name", "must be a file name of at most 200 characters, without path separators, '.', '..' or control characters")
	}
	if a.MediaType == "" {
		a.MediaType = "application/octet-stream"
	}
	if a.Size < 0 {
		return fault.Field("size", "cannot be negative")
	}
	return nil
}

// ValidSHA256 reports whether s is 64 lower-case hex digits.
func ValidSHA256(s string) bool { return artifact.ValidSHA256(s) }

const artifactCols = `sha256, name, media_type, size, retention_class, rev, hold_reason, held_by, held_at, purged_at, purged_by, created_by, created_at`

func scanArtifact(sc interface{ Scan(...any) error }) (Artifact, error) {
	var a Artifact
	err := sc.Scan(&a.SHA256, &a.Name, &a.MediaType, &a.Size, &a.RetentionClass, &a.Revision, &a.Hold.Reason, &a.Hold.By,
		nullTimeCol{&a.Hold.At}, nullTimeCol{&a.PurgedAt}, &a.PurgedBy, &a.CreatedBy, timeCol{&a.CreatedAt})
	return a, err
}

// PutArtifact records the metadata of stored bytes. An empty retention
// class takes the policy's retention.default_class; a class the policy does
// not list is Invalid naming "retention_class" with the list. When the
// sha256 is already recorded it returns the existing row and created=false:
// the first name stays, and the retention class is only ever raised. A
// purged artifact uploaded again is restored (created=true, a new
// retention period from now); an artifact whose retention expired but that
// no purge took yet is renewed (a new period from now, created=false). A
// new or restored artifact that is the RCA document of a problem is
// attached to the problem's releases (attachRCAEvidence). kind is recorded
// in the audit event only. With an artifact storage installed, the bytes
// must still be stored (Unavailable otherwise: a purge deleted them since
// the upload stored them; artifacts_bytes.go).
func (s *Store) PutArtifact(ctx context.Context, actor audit.Actor, a Artifact, kind string) (out Artifact, created bool, err error) {
	if err := a.Validate(); err != nil {
		return a, false, err
	}
	err = s.write(ctx, actor, func(tx *Tx) error {
		if err := tx.lockDigest(ctx, a.SHA256); err != nil {
			return err
		}
		if out, created, err = tx.recordArtifact(ctx, a, kind); err != nil {
			return err
		}
		if err := tx.requireBytes(ctx, a.SHA256); err != nil {
			return err
		}
		_, err = tx.attachRCAEvidence(ctx, evidenceOfDoc, a.SHA256, true)
		return err
	})
	return out, created, err
}

// recordArtifact inserts the row of a (artifact.create, with kind), or
// handles bytes already recorded (putExisting). The caller holds the
// digest's lock.
func (tx *Tx) recordArtifact(ctx context.Context, a Artifact, kind string) (out Artifact, created bool, err error) {
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return a, false, err
	}
	if a.RetentionClass == "" {
		a.RetentionClass = pol.Retention.DefaultClass
	}
	if err := pol.CheckRetentionClass("retention_class", a.RetentionClass); err != nil {
		return a, false, err
	}
	a.CreatedBy, a.CreatedAt, a.Revision = tx.actor.User, tx.now, 1
	res, err := tx.exec(ctx, `INSERT INTO artifacts (sha256, name, media_type, size, retention_class, rev, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING`,
		a.SHA256, a.Name, a.MediaType, a.Size, a.RetentionClass, a.Revision, a.CreatedBy, ts(tx.now))
	if err != nil {
		return a, false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		created, err = tx.putExisting(ctx, a, &out)
		return out, created, err
	}
	return a, true, tx.auditEvent(ctx, "artifact.create", "artifact", a.SHA256, a.Revision, nil, struct {
		Artifact
		Kind string `json:"kind,omitempty"`
	}{a, kind})
}

// putExisting handles an upload of bytes already recorded: it restores a
// purged artifact (created true, artifact.restore), renews an expired one
// (artifact.renew: a new retention period from now, the longer of the two
// classes) or raises the retention class (keepLonger).
func (tx *Tx) putExisting(ctx context.Context, a Artifact, out *Artifact) (created bool, err error) {
	before, err := tx.getArtifact(ctx, a.SHA256)
	if err != nil {
		return false, err
	}
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return false, err
	}
	exp, expires := pol.Expiry(before.RetentionClass, before.CreatedAt)
	action := "artifact.restore"
	switch {
	case before.PurgedAt != nil:
	case expires && !exp.After(tx.now):
		action = "artifact.renew"
		if !pol.KeepsLonger(a.RetentionClass, before.RetentionClass) {
			a.RetentionClass = before.RetentionClass
		}
	default:
		return false, tx.keepLonger(ctx, a.SHA256, a.RetentionClass, out)
	}
	*out = before
	out.RetentionClass, out.CreatedBy, out.CreatedAt, out.PurgedAt, out.PurgedBy = a.RetentionClass, a.CreatedBy, tx.now, nil, ""
	out.Revision = before.Revision + 1
	if err := tx.updateRev(ctx, "artifact "+a.SHA256, before.Revision, `UPDATE artifacts SET retention_class = $1, created_by = $2,
		created_at = $3, purged_at = NULL, purged_by = '', rev = $4 WHERE sha256 = $5 AND rev = $6`,
		out.RetentionClass, out.CreatedBy, ts(tx.now), out.Revision, a.SHA256, before.Revision); err != nil {
		return false, err
	}
	return action == "artifact.restore", tx.auditEvent(ctx, action, "artifact", a.SHA256, out.Revision, before, *out)
}

// keepLonger loads the artifact sha into out and raises its retention class
// to class when the policy keeps that one longer (never lowers it), at a
// new revision, auditing the change.
func (tx *Tx) keepLonger(ctx context.Context, sha, class string, out *Artifact) error {
	before, err := tx.getArtifact(ctx, sha)
	if err != nil {
		return err
	}
	*out = before
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return err
	}
	if !pol.KeepsLonger(class, before.RetentionClass) {
		return nil
	}
	out.RetentionClass, out.Revision = class, before.Revision+1
	if err := tx.updateRev(ctx, "artifact "+sha, before.Revision, `UPDATE artifacts SET retention_class = $1, rev = $2 WHERE sha256 = $3 AND rev = $4`,
		class, out.Revision, sha, before.Revision); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "artifact.retain", "artifact", sha, out.Revision, before, *out)
}

func (tx *Tx) getArtifact(ctx context.Context, sha string) (Artifact, error) {
	a, err := scanArtifact(tx.queryRow(ctx, `SELECT `+artifactCols+` FROM artifacts WHERE sha256 = $1`+tx.forUpdate(), sha))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFoundf("artifact %s not found", sha)
	}
	return a, err
}

// GetArtifact returns the metadata of one artifact, with the held releases
// it is attached to. Returns NotFound if there is none.
func (s *Store) GetArtifact(ctx context.Context, sha string) (Artifact, error) {
	if !ValidSHA256(sha) {
		return Artifact{}, fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	a, err := scanArtifact(s.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM artifacts WHERE sha256 = $1`, sha))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFoundf("artifact %s not found", sha)
	}
	if err != nil {
		return a, errf(err, "get artifact")
	}
	a.ReleaseHolds, err = heldReleasesOf(ctx, s.db, sha)
	return a, errf(err, "get artifact")
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/release"
)

// Artifact is the stored metadata of a content-addressed file. The bytes
// live outside the database (the API keeps them under its data directory).
type Artifact struct {
	SHA256         string    `json:"sha256"`
	Name           string    `json:"name"`
	Size           int64     `json:"size"`
	MediaType      string    `json:"media_type"`
	RetentionClass string    `json:"retention_class"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// Validate checks and normalises the fields a client sets. Returns Invalid naming the field.
func (a *Artifact) Validate() error {
	if !ValidSHA256(a.SHA256) {
		return fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	a.Name = strings.TrimSpace(a.Name)
	if a.Name == "" {
		return fault.Field("name", "is required")
	}
	if len(a.Name) > 200 || strings.ContainsAny(a.Name, `/\`) || strings.IndexFunc(a.Name, unicode.IsControl) >= 0 {
		return fault.Field("name", "must be a file name of at most 200 characters, without path separators or control characters")
	}
	if a.RetentionClass == "" {
		a.RetentionClass = "standard"
	}
	if !slices.Contains(release.RetentionClasses, a.RetentionClass) {
		return fault.Field("retention_class", "must be one of %s, got %q", strings.Join(release.RetentionClasses, ", "), a.RetentionClass)
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

const artifactCols = `sha256, name, media_type, size, retention_class, created_by, created_at`

func scanArtifact(sc interface{ Scan(...any) error }) (Artifact, error) {
	var a Artifact
	err := sc.Scan(&a.SHA256, &a.Name, &a.MediaType, &a.Size, &a.RetentionClass, &a.CreatedBy, timeCol{&a.CreatedAt})
	return a, err
}

// PutArtifact records the metadata of stored bytes. When the sha256 is
// already recorded it returns the existing row and created=false: the first
// name stays, and the retention class is only ever raised (standard <
// audit-long < permanent). kind is recorded in the audit event only.
func (s *Store) PutArtifact(ctx context.Context, actor audit.Actor, a Artifact, kind string) (out Artifact, created bool, err error) {
	if err := a.Validate(); err != nil {
		return a, false, err
	}
	err = s.write(ctx, actor, func(tx *Tx) error {
		a.CreatedBy, a.CreatedAt = actor.User, tx.now
		res, err := tx.exec(ctx, `INSERT INTO artifacts (sha256, name, media_type, size, retention_class, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING`,
			a.SHA256, a.Name, a.MediaType, a.Size, a.RetentionClass, a.CreatedBy, ts(tx.now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return tx.keepLonger(ctx, a.SHA256, a.RetentionClass, &out)
		}
		out, created = a, true
		return tx.auditEvent(ctx, "artifact.create", "artifact", a.SHA256, 1, nil,
			struct {
				Artifact
				Kind string `json:"kind,omitempty"`
			}{a, kind})
	})
	return out, created, err
}

// keepLonger loads the existing artifact sha into out and raises its
// retention class to class when that keeps it longer (never lowers it),
// auditing the change.
func (tx *Tx) keepLonger(ctx context.Context, sha, class string, out *Artifact) error {
	before, err := scanArtifact(tx.queryRow(ctx, `SELECT `+artifactCols+` FROM artifacts WHERE sha256 = $1`, sha))
	if err != nil {
		return err
	}
	*out = before
	if slices.Index(release.RetentionClasses, class) <= slices.Index(release.RetentionClasses, before.RetentionClass) {
		return nil
	}
	out.RetentionClass = class
	if _, err := tx.exec(ctx, `UPDATE artifacts SET retention_class = $1 WHERE sha256 = $2`, class, sha); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "artifact.retain", "artifact", sha, 0, before, *out)
}

// GetArtifact returns the metadata of one artifact. Returns NotFound if there is none.
func (s *Store) GetArtifact(ctx context.Context, sha string) (Artifact, error) {
	if !ValidSHA256(sha) {
		return Artifact{}, fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	a, err := scanArtifact(s.db.QueryRowContext(ctx, `SELECT `+artifactCols+` FROM artifacts WHERE sha256 = $1`, sha))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFoundf("artifact %s not found", sha)
	}
	return a, errf(err, "get artifact")
}

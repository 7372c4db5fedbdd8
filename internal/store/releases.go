package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

const releaseCols = `id, version, type, status, title, notes, rev, created_by, created_at, updated_at`

func scanRelease(sc interface{ Scan(...any) error }) (release.Release, int64, error) {
	var r release.Release
	var id int64
	err := sc.Scan(&id, &r.Version, &r.Type, &r.Status, &r.Title, &r.Notes, &r.Revision, &r.CreatedBy, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	r.ID = ident.Release.Format(id)
	return r, id, err
}

// CreateRelease stores a new release in state "planned" after r.Validate.
// Returns Invalid naming "resolves" or "components" when a referenced
// problem or component version does not exist.
func (s *Store) CreateRelease(ctx context.Context, a audit.Actor, r release.Release) (release.Release, error) {
	if err := r.Validate(); err != nil {
		return r, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		r.Status, r.Revision, r.CreatedBy, r.CreatedAt, r.UpdatedAt = release.Planned, 1, a.User, tx.now, tx.now
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO releases (version, type, status, title, notes, rev, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			r.Version, r.Type, r.Status, r.Title, r.Notes, r.Revision, r.CreatedBy, ts(tx.now), ts(tx.now)).Scan(&id)
		if err != nil {
			return err
		}
		r.ID = ident.Release.Format(id)
		if err := tx.setReleaseLinks(ctx, id, &r); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "release.create", "release", r.ID, r.Revision, nil, r)
	})
	return r, err
}

// setReleaseLinks replaces the release's problems and components.
func (tx *Tx) setReleaseLinks(ctx context.Context, id int64, r *release.Release) error {
	if _, err := tx.exec(ctx, `DELETE FROM release_problems WHERE release_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM release_components WHERE release_id = $1`, id); err != nil {
		return err
	}
	for _, p := range r.Resolves {
		pid, _ := ident.Problem.Parse("resolves", p)
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM problems WHERE id = $1`, pid).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fault.Field("resolves", "problem %s does not exist", p)
		}
		if _, err := tx.exec(ctx, `INSERT INTO release_problems (release_id, problem_id) VALUES ($1, $2)`, id, pid); err != nil {
			return err
		}
	}
	for _, c := range r.Components {
		name, ver, _ := strings.Cut(c, "@")
		var cv int64
		err := tx.queryRow(ctx, `SELECT id FROM component_versions WHERE ci = $1 AND version = $2`, name, ver).Scan(&cv)
		if errors.Is(err, sql.ErrNoRows) {
			return fault.Field("components", "component version %s does not exist", c)
		}
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO release_components (release_id, component_version_id) VALUES ($1, $2)`, id, cv); err != nil {
			return err
		}
	}
	return nil
}

// loadReleaseLinks fills Resolves, Components and Artifacts of r.
func loadReleaseLinks(ctx context.Context, q querier, id int64, r *release.Release) error {
	r.Resolves, r.Components, r.Artifacts = []string{}, []string{}, []release.Artifact{}
	rows, err := q.QueryContext(ctx, `SELECT problem_id FROM release_problems WHERE release_id = $1 ORDER BY problem_id`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return err
		}
		r.Resolves = append(r.Resolves, ident.Problem.Format(p))
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT cv.ci, cv.version FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE rc.release_id = $1 ORDER BY cv.ci, cv.version`, id)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c, v string
		if err := rows.Scan(&c, &v); err != nil {
			rows.Close()
			return err
		}
		r.Components = append(r.Components, c+"@"+v)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT ra.sha256, a.name, ra.kind FROM release_artifacts ra JOIN artifacts a ON a.sha256 = ra.sha256
		WHERE ra.release_id = $1 ORDER BY ra.kind, a.name`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x release.Artifact
		if err := rows.Scan(&x.SHA256, &x.Name, &x.Kind); err != nil {
			return err
		}
		r.Artifacts = append(r.Artifacts, x)
	}
	return rows.Err()
}

// GetRelease returns one release with its links. Returns NotFound if there is none.
func (s *Store) GetRelease(ctx context.Context, id int64) (release.Release, error) {
	r, _, err := scanRelease(s.db.QueryRowContext(ctx, `SELECT `+releaseCols+` FROM releases WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fault.NotFoundf("release %s not found", ident.Release.Format(id))
	}
	if err != nil {
		return r, errf(err, "get release")
	}
	return r, errf(loadReleaseLinks(ctx, s.db, id, &r), "get release")
}

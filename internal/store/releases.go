package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

const releaseCols = `id, version, type, status, title, notes, tag, tag_commit, rev, created_by, created_at, updated_at`

func scanRelease(sc interface{ Scan(...any) error }) (release.Release, int64, error) {
	var r release.Release
	var id int64
	err := sc.Scan(&id, &r.Version, &r.Type, &r.Status, &r.Title, &r.Notes, &r.Tag, &r.Commit, &r.Revision, &r.CreatedBy, timeCol{&r.CreatedAt}, timeCol{&r.UpdatedAt})
	r.ID = ident.Release.Format(id)
	return r, id, err
}

// CreateRelease stores a new release in state "planned" after r.Validate.
// Returns Invalid naming "resolves" or "components" when a referenced
// problem or component version does not exist, and naming "version" when
// the version is not a bump over its line's latest (checkVersionBump).
func (s *Store) CreateRelease(ctx context.Context, a audit.Actor, r release.Release) (release.Release, error) {
	if err := r.Validate(); err != nil {
		return r, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.checkVersionBump(ctx, &r); err != nil {
			return err
		}
		return tx.insertRelease(ctx, &r)
	})
	return r, err
}

// CreateReleases stores many releases in one transaction, all or nothing
// (bulk loads: demo data, benchmarks). The error names the failing entry.
func (s *Store) CreateReleases(ctx context.Context, a audit.Actor, rs []release.Release) ([]release.Release, error) {
	for i := range rs {
		if err := rs[i].Validate(); err != nil {
			return nil, fault.In("releases", i, err)
		}
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		for i := range rs {
			if err := tx.insertRelease(ctx, &rs[i]); err != nil {
				return fault.In("releases", i, err)
			}
		}
		return nil
	})
	return rs, err
}

func (tx *Tx) insertRelease(ctx context.Context, r *release.Release) error {
	problems, components, err := tx.releaseRefs(ctx, r)
	if err != nil {
		return err
	}
	r.Status, r.Revision, r.CreatedBy, r.CreatedAt, r.UpdatedAt = release.Planned, 1, tx.actor.User, tx.now, tx.now
	id, err := tx.insertID(ctx, `INSERT INTO releases (version, type, status, title, notes, rev, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.Version, r.Type, r.Status, r.Title, r.Notes, r.Revision, r.CreatedBy, ts(tx.now), ts(tx.now))
	if err != nil {
		return err
	}
	r.ID = ident.Release.Format(id)
	if err := tx.setReleaseLinks(ctx, id, problems, components); err != nil {
		return err
	}
	if err := tx.linkEvidence(ctx, id, r); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "release.create", "release", r.ID, r.Revision, nil, r)
}

// releaseRefs resolves the problems and component versions r names to
// their row ids. Returns Invalid naming "resolves" or "components" for one
// that does not exist, or a revoked component version.
func (tx *Tx) releaseRefs(ctx context.Context, r *release.Release) (problems, components []int64, err error) {
	for _, p := range r.Resolves {
		pid, _ := ident.Problem.Parse("resolves", p)
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM problems WHERE id = $1`, pid).Scan(&n); err != nil {
			return nil, nil, err
		}
		if n == 0 {
			return nil, nil, fault.Field("resolves", "problem %s does not exist", p)
		}
		problems = append(problems, pid)
	}
	for _, c := range r.Components {
		name, ver, _ := strings.Cut(c, "@")
		var cv int64
		var status string
		err := tx.queryRow(ctx, `SELECT id, status FROM component_versions WHERE ci = $1 AND version = $2`, name, ver).Scan(&cv, &status)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, fault.Field("components", "component version %s does not exist", c)
		}
		if err != nil {
			return nil, nil, err
		}
		if status == ci.Revoked {
			return nil, nil, fault.Field("components", "component version %s is revoked and cannot be released", c)
		}
		components = append(components, cv)
	}
	return problems, components, nil
}

// setReleaseLinks replaces the release's problems and components (row ids from releaseRefs).
func (tx *Tx) setReleaseLinks(ctx context.Context, id int64, problems, components []int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM release_problems WHERE release_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM release_components WHERE release_id = $1`, id); err != nil {
		return err
	}
	for _, pid := range problems {
		if _, err := tx.exec(ctx, `INSERT INTO release_problems (release_id, problem_id) VALUES ($1, $2)`, id, pid); err != nil {
			return err
		}
	}
	for _, cv := range components {
		if _, err := tx.exec(ctx, `INSERT INTO release_components (release_id, component_version_id) VALUES ($1, $2)`, id, cv); err != nil {
			return err
		}
	}
	return nil
}

// loadReleaseLinks fills Resolves, Components and Artifacts of r.
func loadReleaseLinks(ctx context.Context, q querier, id int64, r *release.Release) error {
	return runEach(ctx, q, releaseLinks(id, r))
}

// releaseLinks returns the statements filling Resolves, Components and
// Artifacts of r (set empty now), shared with the gate's batch read.
func releaseLinks(id int64, r *release.Release) []readStmt {
	r.Resolves, r.Components, r.Artifacts = []string{}, []string{}, []release.Artifact{}
	return []readStmt{
		{`SELECT problem_id FROM release_problems WHERE release_id = $1 ORDER BY problem_id`, []any{id}, func(sc rowScanner) error {
			var p int64
			err := sc.Scan(&p)
			r.Resolves = append(r.Resolves, ident.Problem.Format(p))
			return err
		}},
		{`SELECT cv.ci, cv.version FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE rc.release_id = $1 ORDER BY cv.ci, cv.version`, []any{id}, func(sc rowScanner) error {
			var c, v string
			err := sc.Scan(&c, &v)
			r.Components = append(r.Components, c+"@"+v)
			return err
		}},
		{`SELECT ra.sha256, a.name, ra.kind FROM release_artifacts ra JOIN artifacts a ON a.sha256 = ra.sha256
		WHERE ra.release_id = $1 ORDER BY ra.kind, a.name`, []any{id}, func(sc rowScanner) error {
			var x release.Artifact
			err := sc.Scan(&x.SHA256, &x.Name, &x.Kind)
			r.Artifacts = append(r.Artifacts, x)
			return err
		}},
	}
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

func (tx *Tx) getRelease(ctx context.Context, id int64) (release.Release, error) {
	r, _, err := scanRelease(tx.queryRow(ctx, `SELECT `+releaseCols+` FROM releases WHERE id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fault.NotFoundf("release %s not found", ident.Release.Format(id))
	}
	if err != nil {
		return r, err
	}
	return r, loadReleaseLinks(ctx, tx.tx, id, &r)
}

// ReleaseFilter selects releases for ListReleases; zero fields do not filter.
type ReleaseFilter struct {
	Status  string
	Type    string
	Problem int64 // releases resolving this problem
	Page
}

// ListReleases returns releases in id order after f.After, at most f.Limit.
func (s *Store) ListReleases(ctx context.Context, f ReleaseFilter) ([]release.Release, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Problem != 0 {
		w.add("id IN (SELECT release_id FROM release_problems WHERE problem_id = ?)", f.Problem)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+releaseCols+` FROM releases`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list releases")
	}
	out := []release.Release{}
	var ids []int64
	for rows.Next() {
		r, id, err := scanRelease(rows)
		if err != nil {
			rows.Close()
			return nil, errf(err, "scan release")
		}
		out = append(out, r)
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errf(err, "list releases")
	}
	for i := range out {
		if err := loadReleaseLinks(ctx, s.db, ids[i], &out[i]); err != nil {
			return nil, errf(err, "list releases")
		}
	}
	return out, nil
}

// UpdateRelease loads the release inside a write transaction, checks ifRev
// (0 skips the check), applies fn (the domain rule: an edit or a Move) and
// saves the result with its audit event under action. Changed problems and
// components are checked like on create. Artifacts change only through
// AttachReleaseArtifact. A move to approved needs the approvals that gate
// rule 8 requires (approval_guard.go): otherwise PreconditionFailed listing
// what is missing, and only the refusal's audit event is written. The move
// to approved also stores the release's notes as an artifact attached to it
// (storeApprovalNotes). Nothing is written on any other error.
func (s *Store) UpdateRelease(ctx context.Context, a audit.Actor, id int64, ifRev int64, action string,
	fn func(r *release.Release) error) (release.Release, error) {
	var r release.Release
	var refused error
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getRelease(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("release "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		r = before
		r.Resolves, r.Components = slices.Clone(before.Resolves), slices.Clone(before.Components)
		r.Artifacts = slices.Clone(before.Artifacts)
		if err := fn(&r); err != nil {
			return err
		}
		if err := r.Validate(); err != nil {
			return err
		}
		if r.Status == release.Approved && before.Status != release.Approved {
			if refused, err = tx.checkReleaseApproved(ctx, id, before); err != nil || refused != nil {
				return err // a refusal commits its audit event only
			}
		}
		r.ID, r.CreatedBy, r.CreatedAt, r.Artifacts = before.ID, before.CreatedBy, before.CreatedAt, before.Artifacts
		r.Tag, r.Commit = before.Tag, before.Commit // recorded only by TagRelease
		r.Revision, r.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "release "+before.ID, before.Revision, `UPDATE releases SET version = $1, type = $2, status = $3, title = $4,
			notes = $5, rev = $6, updated_at = $7 WHERE id = $8 AND rev = $9`,
			r.Version, r.Type, r.Status, r.Title, r.Notes, r.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		if !slices.Equal(r.Resolves, before.Resolves) || !slices.Equal(r.Components, before.Components) {
			problems, components, err := tx.releaseRefs(ctx, &r)
			if err != nil {
				return err
			}
			if err := tx.setReleaseLinks(ctx, id, problems, components); err != nil {
				return err
			}
			if err := tx.linkEvidence(ctx, id, &r); err != nil {
				return err
			}
		}
		if r.Status == release.Approved && before.Status != release.Approved {
			if err := tx.storeApprovalNotes(ctx, id, &r); err != nil { // release_notes.go
				return err
			}
		}
		return tx.auditEvent(ctx, action, "release", r.ID, r.Revision, before, r)
	})
	if err == nil && refused != nil {
		return release.Release{}, refused
	}
	return r, err
}

// AttachReleaseArtifact attaches the uploaded artifact sha under kind
// (release.Release.Attach decides whether it may). Returns Invalid naming
// "sha256" when no such artifact was uploaded or it was purged. Attaching what is already
// attached under the same kind changes nothing and returns the release.
func (s *Store) AttachReleaseArtifact(ctx context.Context, a audit.Actor, id int64, ifRev int64, sha, kind string) (release.Release, error) {
	var r release.Release
	if !ValidSHA256(sha) {
		return r, fault.Field("sha256", "must be 64 lower-case hex digits")
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getRelease(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("release "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		name, err := tx.attachableArtifact(ctx, sha) // artifacts_bytes.go
		if err != nil {
			return err
		}
		r = before
		r.Artifacts = slices.Clone(before.Artifacts)
		changed, err := r.Attach(release.Artifact{SHA256: sha, Name: name, Kind: kind})
		if err != nil || !changed {
			return err
		}
		r.Revision, r.UpdatedAt = before.Revision+1, tx.now
		if _, err := tx.exec(ctx, `INSERT INTO release_artifacts (release_id, sha256, kind) VALUES ($1, $2, $3)`, id, sha, kind); err != nil {
			return err
		}
		if err := tx.retainForRelease(ctx, id); err != nil {
			return err
		}
		if err := tx.updateRev(ctx, "release "+before.ID, before.Revision, `UPDATE releases SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
			r.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		if err := loadReleaseLinks(ctx, tx.tx, id, &r); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "release.attach", "release", r.ID, r.Revision, before, r)
	})
	return r, err
}

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"

	"fixgate/internal/ci"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

// ArtifactWriter stores the bytes of an artifact under its hex sha256 (the
// server's artifact storage). It must be idempotent: the same bytes may be
// written twice.
type ArtifactWriter func(ctx context.Context, sha string, data []byte) error

// SetArtifactWriter installs the writer the store uses for artifacts it
// generates itself (the notes stored when a release is approved); call it
// before the store serves requests. Without one, none are generated.
func (s *Store) SetArtifactWriter(w ArtifactWriter) { s.artifacts = w }

// ReleaseNotes generates the notes of release id (release.GenerateNotes)
// from facts read in one transaction. Returns NotFound for an unknown release.
func (s *Store) ReleaseNotes(ctx context.Context, id int64) (release.Notes, error) {
	var n release.Notes
	err := s.read(ctx, func(tx *Tx) error {
		f, err := tx.releaseNotesFacts(ctx, id)
		n = release.GenerateNotes(f)
		return err
	})
	return n, err
}

// releaseNotesFacts loads what the notes of release id are made of, with
// one set-based query per kind of fact.
func (tx *Tx) releaseNotesFacts(ctx context.Context, id int64) (release.NotesFacts, error) {
	var f release.NotesFacts
	var err error
	if f.Release, err = tx.getRelease(ctx, id); err != nil {
		return f, err
	}
	if f.Problems, err = tx.notesProblems(ctx, id); err != nil {
		return f, err
	}
	if f.KnownErrors, err = tx.notesKnownErrors(ctx, id); err != nil {
		return f, err
	}
	if f.Versions, err = tx.notesVersions(ctx, id); err != nil {
		return f, err
	}
	if f.Changes, err = tx.notesChanges(ctx, id); err != nil {
		return f, err
	}
	if f.Approvals, err = tx.notesApprovals(ctx, id); err != nil {
		return f, err
	}
	f.Deployments, err = tx.notesDeployments(ctx, id)
	return f, err
}

// scanAll runs q and scans each row with scan.
func scanAll[T any](ctx context.Context, tx *Tx, q string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (tx *Tx) notesProblems(ctx context.Context, id int64) ([]problem.Problem, error) {
	return scanAll(ctx, tx, problemSelect+` WHERE id IN (SELECT problem_id FROM release_problems WHERE release_id = $1)`,
		func(r *sql.Rows) (problem.Problem, error) { p, _, err := scanProblem(r); return p, err }, id)
}

// notesKnownErrors returns the newest known error of each resolved problem.
func (tx *Tx) notesKnownErrors(ctx context.Context, id int64) (map[string]release.NoteKnownErr, error) {
	type row struct {
		problem int64
		ke      release.NoteKnownErr
	}
	rows, err := scanAll(ctx, tx, `SELECT problem_id, id, title, status FROM known_errors
		WHERE problem_id IN (SELECT problem_id FROM release_problems WHERE release_id = $1) ORDER BY id`,
		func(r *sql.Rows) (row, error) {
			var x row
			var n int64
			err := r.Scan(&x.problem, &n, &x.ke.Title, &x.ke.Status)
			x.ke.ID = ident.KnownError.Format(n)
			return x, err
		}, id)
	out := map[string]release.NoteKnownErr{}
	for _, x := range rows {
		out[ident.Problem.Format(x.problem)] = x.ke
	}
	return out, err
}

func (tx *Tx) notesVersions(ctx context.Context, id int64) ([]ci.Version, error) {
	return scanAll(ctx, tx, `SELECT `+componentCols+` FROM component_versions
		WHERE id IN (SELECT component_version_id FROM release_components WHERE release_id = $1)`,
		func(r *sql.Rows) (ci.Version, error) { v, _, err := scanComponent(r); return v, err }, id)
}

func (tx *Tx) notesChanges(ctx context.Context, id int64) ([]release.NoteChange, error) {
	return scanAll(ctx, tx, `SELECT id, title, type, env, status, risk_class FROM changes WHERE release_id = $1`,
		func(r *sql.Rows) (release.NoteChange, error) {
			var c release.NoteChange
			var n int64
			var env sql.NullString
			err := r.Scan(&n, &c.Title, &c.Type, &env, &c.Status, &c.RiskClass)
			c.ID, c.Env = ident.Change.Format(n), env.String
			return c, err
		}, id)
}

// notesApprovals returns the decisions on the release and on its changes.
func (tx *Tx) notesApprovals(ctx context.Context, id int64) ([]release.NoteApproval, error) {
	return scanAll(ctx, tx, `SELECT id, record_id, approver, role, decision, at FROM approvals
		WHERE (record_type = 'release' AND record_id = $1)
		   OR (record_type = 'change' AND record_id IN (SELECT 'CHG-' || id FROM changes WHERE release_id = $2))`,
		func(r *sql.Rows) (release.NoteApproval, error) {
			var a release.NoteApproval
			var n int64
			err := r.Scan(&n, &a.Record, &a.Approver, &a.Role, &a.Decision, timeCol{&a.At})
			a.ID = ident.Approval.Format(n)
			return a, err
		}, ident.Release.Format(id), id)
}

func (tx *Tx) notesDeployments(ctx context.Context, id int64) ([]release.NoteDeployment, error) {
	return scanAll(ctx, tx, `SELECT id, env, status, started_at, finished_at FROM deployments WHERE release_id = $1`,
		func(r *sql.Rows) (release.NoteDeployment, error) {
			var d release.NoteDeployment
			var n int64
			err := r.Scan(&n, &d.Env, &d.Status, nullTimeCol{&d.StartedAt}, nullTimeCol{&d.FinishedAt})
			d.ID = ident.Deployment.Format(n)
			return d, err
		}, id)
}

// notesArtifactKind is the kind the approval notes are attached under.
const notesArtifactKind = "other"

// storeApprovalNotes generates the notes of release r (id), just approved
// in tx, as Markdown, stores their bytes through the store's artifact
// writer, records the artifact (retention: the column's default class) and
// attaches it to r, all in tx, with the audit event artifact.create. Does
// nothing without an artifact writer.
func (tx *Tx) storeApprovalNotes(ctx context.Context, id int64, r *release.Release) error {
	w := tx.store.artifacts
	if w == nil {
		return nil
	}
	f, err := tx.releaseNotesFacts(ctx, id)
	if err != nil {
		return err
	}
	f.Release.Status = r.Status
	data := []byte(release.GenerateNotes(f).Markdown())
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	a := Artifact{SHA256: sha, Name: r.ID + "-" + r.Version + "-notes.md", MediaType: "text/markdown; charset=utf-8",
		Size: int64(len(data)), CreatedBy: tx.actor.User, CreatedAt: tx.now}
	changed, err := r.Attach(release.Artifact{SHA256: sha, Name: a.Name, Kind: notesArtifactKind})
	if err != nil || !changed {
		return err
	}
	if err := w(ctx, sha, data); err != nil {
		return err
	}
	res, err := tx.exec(ctx, `INSERT INTO artifacts (sha256, name, media_type, size, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING`, a.SHA256, a.Name, a.MediaType, a.Size, a.CreatedBy, ts(tx.now))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if err := tx.queryRow(ctx, `SELECT retention_class FROM artifacts WHERE sha256 = $1`, sha).Scan(&a.RetentionClass); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "artifact.create", "artifact", sha, 1, nil, struct {
			Artifact
			Kind string `json:"kind"`
		}{a, notesArtifactKind}); err != nil {
			return err
		}
	}
	_, err = tx.exec(ctx, `INSERT INTO release_artifacts (release_id, sha256, kind) VALUES ($1, $2, $3)`, id, sha, notesArtifactKind)
	return err
}

package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/release"
)

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
// in tx, as Markdown, stores their bytes in the store's artifact storage,
// records the artifact (the policy's default retention class; audited as
// artifact.create with kind) and attaches it to r, all in tx, holding the
// digest's lock. If tx then fails, bytes it stored are dropped again
// (artifacts_bytes.go): a failed approval leaves no orphan. Does nothing
// without an artifact storage, or when r already carries these notes.
func (tx *Tx) storeApprovalNotes(ctx context.Context, id int64, r *release.Release) error {
	files := tx.store.files
	if files == nil {
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
	a := Artifact{SHA256: sha, Name: r.ID + "-" + r.Version + "-notes.md", MediaType: "text/markdown; charset=utf-8", Size: int64(len(data))}
	changed, err := r.Attach(release.Artifact{SHA256: sha, Name: a.Name, Kind: notesArtifactKind})
	if err != nil || !changed {
		return err
	}
	if err := tx.lockDigest(ctx, sha); err != nil {
		return err
	}
	obj, err := files.Put(ctx, bytes.NewReader(data), sha)
	if err != nil {
		return fault.Wrap(err, "store the notes of %s", r.ID)
	}
	if obj.Created {
		tx.dropOnRollback(sha, files)
	}
	if _, _, err := tx.recordArtifact(ctx, a, notesArtifactKind); err != nil {
		return err
	}
	_, err = tx.exec(ctx, `INSERT INTO release_artifacts (release_id, sha256, kind) VALUES ($1, $2, $3)`, id, sha, notesArtifactKind)
	return err
}

package store

import (
	"context"
	"database/sql"

	"fixgate/internal/artifact"
	"fixgate/internal/ident"
)

// Reads of artifacts for the web pages: a release's evidence, and the
// legal holds in force. Each is one bounded query per kind of fact.

// ReleaseArtifact is an artifact attached to a release, with the kind it
// is attached under and its metadata.
type ReleaseArtifact struct {
	Artifact
	Kind string `json:"kind"`
}

// ReleaseEvidence is what a release carries: its artifacts with their
// retention and holds, for each RCA document the resolved problems whose
// RCA names it now, and the release's own legal hold.
type ReleaseEvidence struct {
	Artifacts []ReleaseArtifact
	RCAOf     map[string][]string // document sha256 → PRB-n whose current RCA names it
	Hold      artifact.Hold
}

// artifactColsA is artifactCols qualified by the alias a.
const artifactColsA = `a.sha256, a.name, a.media_type, a.size, a.retention_class, a.rev, a.hold_reason, a.held_by, a.held_at,
	a.purged_at, a.purged_by, a.created_by, a.created_at`

// ReleaseEvidence returns the evidence of release id, its artifacts in
// kind and name order. Returns NotFound when the release does not exist.
func (s *Store) ReleaseEvidence(ctx context.Context, id int64) (ReleaseEvidence, error) {
	var ev ReleaseEvidence
	err := s.read(ctx, func(tx *Tx) error {
		if _, err := tx.getRelease(ctx, id); err != nil {
			return err
		}
		var err error
		ev.Artifacts, err = scanAll(ctx, tx, `SELECT `+artifactColsA+`, ra.kind FROM release_artifacts ra
			JOIN artifacts a ON a.sha256 = ra.sha256 WHERE ra.release_id = $1 ORDER BY ra.kind, a.name, a.sha256`,
			func(r *sql.Rows) (ReleaseArtifact, error) {
				var x ReleaseArtifact
				err := r.Scan(&x.SHA256, &x.Name, &x.MediaType, &x.Size, &x.RetentionClass, &x.Revision, &x.Hold.Reason, &x.Hold.By,
					nullTimeCol{&x.Hold.At}, nullTimeCol{&x.PurgedAt}, &x.PurgedBy, &x.CreatedBy, timeCol{&x.CreatedAt}, &x.Kind)
				return x, err
			}, id)
		if err != nil {
			return err
		}
		type doc struct {
			problem int64
			sha     string
		}
		docs, err := scanAll(ctx, tx, `SELECT p.id, p.rca_doc_sha256 FROM problems p JOIN release_problems rp ON rp.problem_id = p.id
			WHERE rp.release_id = $1 AND p.rca_doc_sha256 <> '' ORDER BY p.id`,
			func(r *sql.Rows) (doc, error) { var d doc; err := r.Scan(&d.problem, &d.sha); return d, err }, id)
		if err != nil {
			return err
		}
		ev.RCAOf = map[string][]string{}
		for _, d := range docs {
			ev.RCAOf[d.sha] = append(ev.RCAOf[d.sha], ident.Problem.Format(d.problem))
		}
		ev.Hold, err = releaseHold(ctx, tx.tx, id)
		return err
	})
	return ev, err
}

// HeldArtifacts returns the artifacts on legal hold in digest order after
// the digest after, at most limit (the holds are few: the scan stops at
// limit rows).
func (s *Store) HeldArtifacts(ctx context.Context, after string, limit int) ([]Artifact, error) {
	var out []Artifact
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanAll(ctx, tx, `SELECT `+artifactCols+` FROM artifacts WHERE hold_reason <> '' AND sha256 > $1
			ORDER BY sha256 LIMIT $2`, func(r *sql.Rows) (Artifact, error) { return scanArtifact(r) }, after, limit)
		return err
	})
	return out, err
}

// HeldReleases returns the legal holds on releases in release id order
// after release after, at most limit, each with the release's revision.
func (s *Store) HeldReleases(ctx context.Context, after int64, limit int) ([]ReleaseLegalHold, error) {
	var out []ReleaseLegalHold
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanAll(ctx, tx, `SELECT h.release_id, h.reason, h.held_by, h.held_at, r.rev FROM release_holds h
			JOIN releases r ON r.id = h.release_id WHERE h.release_id > $1 ORDER BY h.release_id LIMIT $2`,
			func(r *sql.Rows) (ReleaseLegalHold, error) {
				var x ReleaseLegalHold
				var id int64
				err := r.Scan(&id, &x.Hold.Reason, &x.Hold.By, nullTimeCol{&x.Hold.At}, &x.Revision)
				x.Release = ident.Release.Format(id)
				return x, err
			}, after, limit)
		return err
	})
	return out, err
}

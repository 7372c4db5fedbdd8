package store

import (
	"context"

	"fixgate/internal/ident"
	"fixgate/internal/release"
)

// A release carries its evidence: the RCA document (an uploaded artifact,
// problems.rca_doc_sha256) of every problem it resolves is attached to it
// as kind "rca", in the transaction that links the problem, records a new
// document, or uploads a document already named by an RCA. A changed
// document is attached beside the earlier one, which stays. Documents
// named but never uploaded, or purged, attach once they are uploaded.

// Filters of attachRCAEvidence: which (release, problem) pairs to look at.
const (
	evidenceOfRelease = `rp.release_id = $2`
	evidenceOfProblem = `rp.problem_id = $2`
	evidenceOfDoc     = `p.rca_doc_sha256 = $2`
)

type rcaEvidence struct {
	release, problem int64
	sha, name        string
}

// attachRCAEvidence attaches the RCA documents missing from the releases
// (not canceled) that resolve their problems, among the pairs filter
// selects with arg. With bump, each release changed gets a new revision
// (compare-and-set) and a release.attach event; without, the caller is
// writing the release in this transaction and audits it. It then gives the
// critical-fix retention class where due (retainForRelease). Returns how
// many documents were attached.
func (tx *Tx) attachRCAEvidence(ctx context.Context, filter string, arg any, bump bool) (int, error) {
	found, err := tx.missingEvidence(ctx, filter, arg)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range found {
		if err := tx.lockDigest(ctx, e.sha); err != nil { // a purge in flight commits first (artifacts_bytes.go)
			return 0, err
		}
		live, err := tx.liveRow(ctx, e.sha)
		if err != nil {
			return 0, err
		}
		if !live {
			continue // purged meanwhile: it attaches once uploaded again
		}
		if bump {
			err = tx.attachBumped(ctx, e)
		} else {
			_, err = tx.exec(ctx, `INSERT INTO release_artifacts (release_id, sha256, kind) VALUES ($1, $2, $3)`, e.release, e.sha, "rca")
		}
		if err != nil {
			return 0, err
		}
		if err := tx.retainForRelease(ctx, e.release); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

func (tx *Tx) missingEvidence(ctx context.Context, filter string, arg any) ([]rcaEvidence, error) {
	rows, err := tx.query(ctx, `SELECT rp.release_id, rp.problem_id, p.rca_doc_sha256, a.name FROM release_problems rp
		JOIN problems p ON p.id = rp.problem_id
		JOIN releases r ON r.id = rp.release_id
		JOIN artifacts a ON a.sha256 = p.rca_doc_sha256
		WHERE r.status <> $1 AND a.purged_at IS NULL AND `+filter+`
		AND NOT EXISTS (SELECT 1 FROM release_artifacts ra WHERE ra.release_id = rp.release_id AND ra.sha256 = p.rca_doc_sha256)
		ORDER BY rp.release_id, rp.problem_id`, release.Canceled, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rcaEvidence
	seen := map[[2]string]bool{}
	for rows.Next() {
		var e rcaEvidence
		if err := rows.Scan(&e.release, &e.problem, &e.sha, &e.name); err != nil {
			return nil, err
		}
		key := [2]string{ident.Release.Format(e.release), e.sha} // two problems may share one document
		if !seen[key] {
			seen[key] = true
			out = append(out, e)
		}
	}
	return out, rows.Err()
}

// attachBumped attaches e's document to its release at a new revision,
// audited as release.attach (release.Release.Attach decides).
func (tx *Tx) attachBumped(ctx context.Context, e rcaEvidence) error {
	before, err := tx.getRelease(ctx, e.release)
	if err != nil {
		return err
	}
	r := before
	r.Artifacts = append([]release.Artifact{}, before.Artifacts...)
	changed, err := r.Attach(release.Artifact{SHA256: e.sha, Name: e.name, Kind: "rca"})
	if err != nil || !changed {
		return err
	}
	if _, err := tx.exec(ctx, `INSERT INTO release_artifacts (release_id, sha256, kind) VALUES ($1, $2, $3)`, e.release, e.sha, "rca"); err != nil {
		return err
	}
	r.Revision, r.UpdatedAt = before.Revision+1, tx.now
	if err := tx.updateRev(ctx, "release "+before.ID, before.Revision, `UPDATE releases SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
		r.Revision, ts(tx.now), e.release, before.Revision); err != nil {
		return err
	}
	if err := loadReleaseLinks(ctx, tx.tx, e.release, &r); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "release.attach", "release", r.ID, r.Revision, before, struct {
		release.Release
		Evidence string `json:"evidence"`
	}{r, "rca document of " + ident.Problem.Format(e.problem)})
}

// retainForRelease raises the retention class of every artifact attached
// to release id to the policy's retention.critical_fix_class when the
// release is a problem-fix resolving a priority 1 or 2 problem (keepLonger
// audits each change). Other releases leave their artifacts' classes alone.
func (tx *Tx) retainForRelease(ctx context.Context, id int64) error {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM releases r JOIN release_problems rp ON rp.release_id = r.id
		JOIN problems p ON p.id = rp.problem_id WHERE r.id = $1 AND r.type = $2 AND p.priority <= 2`, id, release.ProblemFix).Scan(&n)
	if err != nil || n == 0 {
		return err
	}
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return err
	}
	shas, err := tx.strings(ctx, `SELECT sha256 FROM release_artifacts WHERE release_id = $1 ORDER BY sha256`, id)
	if err != nil {
		return err
	}
	for _, sha := range shas {
		var a Artifact
		if err := tx.keepLonger(ctx, sha, pol.Retention.CriticalFixClass, &a); err != nil {
			return err
		}
	}
	return nil
}

// strings runs q and returns its single text column.
func (tx *Tx) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// linkEvidence is called after a release's problems were (re)linked in
// this transaction: it attaches their RCA documents, gives the critical-fix
// class where due, and reloads r's links when documents were attached, so
// the caller's audit event shows them.
func (tx *Tx) linkEvidence(ctx context.Context, id int64, r *release.Release) error {
	n, err := tx.attachRCAEvidence(ctx, evidenceOfRelease, id, false)
	if err != nil {
		return err
	}
	if err := tx.retainForRelease(ctx, id); err != nil || n == 0 {
		return err
	}
	return loadReleaseLinks(ctx, tx.tx, id, r)
}

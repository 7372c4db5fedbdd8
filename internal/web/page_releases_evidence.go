package web

import (
	"context"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// The release page's notes, evidence and legal hold: the notes as GET
// /api/v1/releases/{id}/notes generates them (store.ReleaseNotes), shown
// by release.html's "notes" template (html/template: every value is
// escaped, no HTML is passed through); the artifacts with their retention
// class, expiry, holds and a verified download link (GET /artifacts/{sha}),
// the RCA documents the release carries as evidence, the notes stored at
// approval, and the release's legal hold with the form that places or
// lifts it (page_releases_hold.go).

// releaseEvidence is what release.html shows of a release's notes and evidence.
type releaseEvidence struct {
	Notes       release.Notes
	StoredNotes []artifactRow // the notes stored when the release was approved
	RCA         []artifactRow // the RCA documents of the problems it resolves
	Others      []artifactRow
	Hold        artifact.Hold
	CanHold     bool
	Reason      string // the hold form's reason, kept after a refusal
}

// artifactRow is an attached artifact with when its retention ends.
type artifactRow struct {
	store.ReleaseArtifact
	Expires *time.Time // nil: its class keeps it forever
	Expired bool       // its keep has passed: the next purge takes it unless held
	RCAOf   []string   // problems whose current RCA names it
}

// loadEvidence fills d.Evidence for release d.Release.
func (s *Server) loadEvidence(ctx context.Context, v *visit, d *releaseData) error {
	id, err := ident.Release.Parse("id", d.Release.ID)
	if err != nil {
		return err
	}
	e := &d.Evidence
	if e.Notes, err = s.store.ReleaseNotes(ctx, id); err != nil {
		return err
	}
	ev, err := s.store.ReleaseEvidence(ctx, id)
	if err != nil {
		return err
	}
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return err
	}
	e.Hold, e.CanHold = ev.Hold, s.allows(v, "POST /releases/{id}/hold")
	notesName := d.Release.ID + "-" + d.Release.Version + "-notes.md"
	for _, a := range ev.Artifacts {
		row := artifactRowOf(a, pol, v.now)
		row.RCAOf = ev.RCAOf[a.SHA256]
		switch {
		case a.Kind == "rca":
			e.RCA = append(e.RCA, row)
		case a.Kind == "other" && a.Name == notesName:
			e.StoredNotes = append(e.StoredNotes, row)
		default:
			e.Others = append(e.Others, row)
		}
	}
	return nil
}

// artifactRowOf computes when a's retention ends under pol.
func artifactRowOf(a store.ReleaseArtifact, pol *policy.Policy, now time.Time) artifactRow {
	row := artifactRow{ReleaseArtifact: a}
	if exp, ok := pol.Expiry(a.RetentionClass, a.CreatedAt); ok {
		row.Expires, row.Expired = &exp, !exp.After(now)
	}
	return row
}

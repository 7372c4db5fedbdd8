package store

import (
	"context"

	"fixgate/internal/release"
)

// RecentReleases returns releases newest first with id below before (0:
// from the newest), at most f.Limit, filtered by f's status, type and
// problem as ListReleases (f.After is not used). The rows come without
// their links (Resolves, Components and Artifacts are empty): a list shows
// the releases themselves, one query per page.
func (s *Store) RecentReleases(ctx context.Context, f ReleaseFilter, before int64) ([]release.Release, error) {
	f.Page = f.Page.Norm()
	if before <= 0 {
		before = maxID
	}
	var w filter
	w.add("id < ?", before)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Problem != 0 {
		w.add("id IN (SELECT release_id FROM release_problems WHERE problem_id = ?)", f.Problem)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+releaseCols+` FROM releases`+w.where()+` ORDER BY id DESC LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list releases")
	}
	defer rows.Close()
	out := []release.Release{}
	for rows.Next() {
		r, _, err := scanRelease(rows)
		if err != nil {
			return nil, errf(err, "scan release")
		}
		r.Resolves, r.Components, r.Artifacts = []string{}, []string{}, []release.Artifact{}
		out = append(out, r)
	}
	return out, errf(rows.Err(), "list releases")
}

package api

import (
	"net/http"

	"fixgate/internal/ident"
)

// releaseCommitsIn records the git range a client walked for a release
// (fixgate release notes --record) and the commits in it.
type releaseCommitsIn struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Commits  int64  `json:"commits"`
	Revision int64  `json:"revision"`
}

// setReleaseCommits records a release's git range and commit count
// (store.SetReleaseCommits: compare-and-set on the release's revision,
// from the body or If-Match).
func (s *Server) setReleaseCommits(w http.ResponseWriter, r *http.Request, c *call) error {
	var in releaseCommitsIn
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := ident.Release.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.SetReleaseCommits(r.Context(), c.actor, id, rev, in.From, in.To, in.Commits)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// getReleaseCommits answers the range recorded on a release (404 when none).
func (s *Server) getReleaseCommits(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Release.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.store.GetReleaseCommits(r.Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

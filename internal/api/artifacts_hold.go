package api

import (
	"net/http"

	"fixgate/internal/auth"
	"fixgate/internal/ident"
	"fixgate/internal/jobs"
	"fixgate/internal/store"
)

// holdRW may place and lift legal holds; auditors read them (they write nothing).
var holdRW = []auth.Role{auth.Admin, auth.ReleaseManager, auth.ProblemManager}

// holdIn places or lifts a legal hold. Revision (or If-Match) guards the
// held record; 0 applies to what is there.
type holdIn struct {
	Reason   string `json:"reason"`
	Revision int64  `json:"revision"`
}

type releaseHoldOut = store.ReleaseLegalHold

type purgeOut = jobs.PurgeReport

// holdArtifact places (on) or lifts a legal hold on the artifact in the path.
func (s *Server) holdArtifact(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		var in holdIn
		if err := decode(r, &in); err != nil {
			return err
		}
		rev, err := ifMatch(r, in.Revision)
		if err != nil {
			return err
		}
		out, err := s.store.SetArtifactHold(r.Context(), c.actor, r.PathValue("sha256"), rev, on, in.Reason)
		if err != nil {
			return err
		}
		return writeRecord(w, http.StatusOK, out, out.Revision)
	}
}

// holdRelease places (on) or lifts a legal hold on the release in the path.
func (s *Server) holdRelease(on bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		var in holdIn
		if err := decode(r, &in); err != nil {
			return err
		}
		return answerUpdate(w, r, ident.Release, in.Revision, false, http.StatusOK, func(id, rev int64) (store.ReleaseLegalHold, error) {
			return s.store.SetReleaseHold(r.Context(), c.actor, id, rev, on, in.Reason)
		}, func(x store.ReleaseLegalHold) int64 { return x.Revision })
	}
}

func (s *Server) getReleaseHold(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Release, s.store.ReleaseHold, func(x store.ReleaseLegalHold) int64 { return x.Revision })
}

// expiredArtifacts lists what a purge would delete now (a dry run).
func (s *Server) expiredArtifacts(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, err := jobs.PurgeArtifacts(r.Context(), s.store, s.artifacts(), c.actor, s.store.Now(), true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// purgeArtifacts runs the purge now (as the hourly job does) and lists what went.
func (s *Server) purgeArtifacts(w http.ResponseWriter, r *http.Request, c *call) error {
	rep, err := jobs.PurgeArtifacts(r.Context(), s.store, s.artifacts(), c.actor, s.store.Now(), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

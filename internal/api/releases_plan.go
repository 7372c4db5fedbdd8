package api

import (
	"net/http"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

// releasePlanOut answers GET /api/v1/releases/plan: the CIs to rebuild
// and redeploy for a fix of the problems resolves, in dependency order.
type releasePlanOut struct {
	Resolves []string           `json:"resolves"`
	Items    []release.PlanItem `json:"items"`
}

// releasePlan answers what to rebuild for the problems named by the
// repeated resolves parameter (release.Plan decides).
func (s *Server) releasePlan(w http.ResponseWriter, r *http.Request, c *call) error {
	resolves := r.URL.Query()["resolves"]
	if len(resolves) == 0 {
		return fault.Field("resolves", "name at least one problem: ?resolves=PRB-1&resolves=PRB-2")
	}
	for i, p := range resolves {
		n, err := ident.Problem.Parse("resolves", p)
		if err != nil {
			return err
		}
		resolves[i] = ident.Problem.Format(n)
	}
	items, err := s.store.ReleasePlan(r.Context(), resolves)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, releasePlanOut{Resolves: resolves, Items: items})
}

// releaseTagIn records the git tag a client created for a release.
type releaseTagIn struct {
	Tag      string `json:"tag"`
	Commit   string `json:"commit"`
	Revision int64  `json:"revision"`
}

// tagRelease records the tag and commit of a release (the client created
// the tag in its own repository; the server never touches one).
func (s *Server) tagRelease(w http.ResponseWriter, r *http.Request, c *call) error {
	var in releaseTagIn
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
	out, err := s.store.TagRelease(r.Context(), c.actor, id, rev, in.Tag, in.Commit)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

package api

import (
	"net/http"
	"slices"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

type releaseOut = release.Release

type releaseNotesOut = release.Notes

type releaseCreate struct {
	Version    string   `json:"version"`
	Next       bool     `json:"next"` // propose the version instead (NextReleaseVersion); not with version
	Type       string   `json:"type"`
	Title      string   `json:"title"`
	Notes      string   `json:"notes"`
	Resolves   []string `json:"resolves"`
	Components []string `json:"components"`
}

type releasePatch struct {
	Title      *string   `json:"title"`
	Notes      *string   `json:"notes"`
	Resolves   *[]string `json:"resolves"`
	Components *[]string `json:"components"`
	Revision   int64     `json:"revision"`
}

type releaseAttach struct {
	SHA256   string `json:"sha256"`
	Kind     string `json:"kind"`
	Revision int64  `json:"revision"`
}

// pipelineReleaseMoves are the release states a pipeline may report.
var pipelineReleaseMoves = []string{release.Deploying, release.Deployed, release.Failed}

func (s *Server) createRelease(w http.ResponseWriter, r *http.Request, c *call) error {
	var in releaseCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	var basis string
	if in.Next {
		if in.Version != "" {
			return fault.Field("next", "pass either a version or next, not both")
		}
		v, b, err := s.store.NextReleaseVersion(r.Context(), in.Resolves)
		if err != nil {
			return err
		}
		in.Version, basis = v, b
	}
	out, err := s.store.CreateRelease(r.Context(), c.actor, release.Release{Version: in.Version, Type: in.Type, Title: in.Title,
		Notes: in.Notes, Resolves: in.Resolves, Components: in.Components})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, releaseCreated{Release: out, VersionBasis: basis}, out.Revision)
}

// releaseCreated is the created release and, when its version was
// proposed (next), what the proposal was based on.
type releaseCreated struct {
	release.Release
	VersionBasis string `json:"version_basis,omitempty"`
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ReleaseFilter{Page: pg, Status: q.Get("status"), Type: q.Get("type")}
	if f.Status != "" && !release.Machine.Known(f.Status) {
		return fault.Field("status", "unknown release state %q", f.Status)
	}
	if f.Type != "" && !slices.Contains(release.Types, f.Type) {
		return fault.Field("type", "unknown release type %q", f.Type)
	}
	if v := q.Get("problem"); v != "" {
		if f.Problem, err = ident.Problem.Parse("problem", v); err != nil {
			return err
		}
	}
	items, err := s.store.ListReleases(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Release, func(x release.Release) string { return x.ID })
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Release, s.store.GetRelease, func(x release.Release) int64 { return x.Revision })
}

func (s *Server) patchRelease(w http.ResponseWriter, r *http.Request, c *call) error {
	var in releasePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateRelease(w, r, c, in.Revision, true, "release.update", func(x *release.Release) error {
		if err := x.CheckEditable(); err != nil {
			return err
		}
		setIf(&x.Title, in.Title)
		setIf(&x.Notes, in.Notes)
		setIf(&x.Resolves, in.Resolves)
		setIf(&x.Components, in.Components)
		return nil
	})
}

// moveRelease moves a release through its lifecycle. A caller acting only
// as a pipeline may report deploying, deployed and failed, nothing else.
// The move to approved is an explicit request that succeeds only when the
// approvals gate rule 8 requires are present and current (412 listing what
// is missing otherwise, audited as release.move_refused).
func (s *Server) moveRelease(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	manager := c.principal.Has(auth.ReleaseManager) || c.principal.Has(auth.Admin)
	if !manager && !slices.Contains(pipelineReleaseMoves, in.To) {
		return s.denied(r, c, fault.Forbiddenf("a pipeline may move a release only to deploying, deployed or failed; %s needs a release manager", in.To))
	}
	if in.To == release.Approved { // the store judges the approvals with the stored policy: make sure the start policy is stored
		if _, err := s.currentPolicy(r.Context()); err != nil {
			return err
		}
	}
	return s.updateRelease(w, r, c, in.Revision, false, "release.move", func(x *release.Release) error {
		return x.Move(in.To)
	})
}

func (s *Server) updateRelease(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*release.Release) error) error {
	return answerUpdate(w, r, ident.Release, bodyRev, strict, http.StatusOK, func(id, rev int64) (release.Release, error) {
		return s.store.UpdateRelease(r.Context(), c.actor, id, rev, action, fn)
	}, func(x release.Release) int64 { return x.Revision })
}

func (s *Server) attachReleaseArtifact(w http.ResponseWriter, r *http.Request, c *call) error {
	var in releaseAttach
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := ident.Release.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	if in.SHA256 == "" {
		return fault.Field("sha256", "is required")
	}
	if in.Kind == "" {
		return fault.Field("kind", "is required")
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.AttachReleaseArtifact(r.Context(), c.actor, id, rev, in.SHA256, in.Kind)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// Roles of the release, component, artifact and change routes (declared in routes.go).
var (
	releaseRW     = []auth.Role{auth.ReleaseManager, auth.Engineer, auth.Admin, auth.Pipeline}
	releaseMovers = []auth.Role{auth.ReleaseManager, auth.Admin, auth.Pipeline}
	componentMove = []auth.Role{auth.ReleaseManager, auth.Admin}
	artifactRW    = []auth.Role{auth.ReleaseManager, auth.Engineer, auth.ProblemManager, auth.Admin, auth.Pipeline}
	changeRW      = []auth.Role{auth.ReleaseManager, auth.Engineer, auth.ProblemManager, auth.Admin}
	changeMovers  = []auth.Role{auth.ReleaseManager, auth.Admin, auth.Pipeline}
	deviationRW   = []auth.Role{auth.ReleaseManager, auth.ProblemManager, auth.Admin}
)

// denied marks a handler's refusal for a role (err is a Forbidden error
// saying which role was needed) by naming the rule "role" when err names
// none; the endpoint audits it (Server.refused) like every refusal.
func (s *Server) denied(r *http.Request, c *call, err error) error {
	if fe := fault.As(err); fe != nil && fault.RuleOf(err) == "forbidden" {
		fe.Extra = map[string]any{"rule": "role"}
	}
	return err
}

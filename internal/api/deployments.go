package api

import (
	"net/http"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// deployRW may create, move and advance deployments and log their events.
var deployRW = []auth.Role{auth.ReleaseManager, auth.Pipeline, auth.Admin}

type deploymentOut = deploy.Deployment

type deployEventOut = deploy.Event

type deploymentCreate struct {
	Release string         `json:"release"`
	Env     string         `json:"env"`
	Change  string         `json:"change"`
	Path    []deploy.Stage `json:"path"`
}

// advanceIn moves a running deployment to its next stage; Revision (or If-Match) guards it.
type advanceIn struct {
	Comment  string `json:"comment"`
	Revision int64  `json:"revision"`
}

type deploymentEventIn struct {
	Kind    string   `json:"kind"`
	Message string   `json:"message"`
	Links   []string `json:"links"`
}

// liveOut is what runs in an environment at a time.
type liveOut struct {
	Env   string        `json:"env"`
	At    time.Time     `json:"at"`
	Items []deploy.Live `json:"items"`
}

func (s *Server) createDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in deploymentCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Release == "" {
		return fault.Field("release", "is required")
	}
	d, err := s.store.CreateDeployment(r.Context(), c.actor, deploy.Deployment{Release: in.Release, Env: in.Env,
		Change: in.Change, Path: in.Path})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, d, d.Revision)
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.DeploymentFilter{Page: pg, Env: q.Get("env"), Status: q.Get("status")}
	if f.Status != "" && !deploy.Machine.Known(f.Status) {
		return fault.Field("status", "unknown deployment state %q", f.Status)
	}
	if v := q.Get("release"); v != "" {
		if f.Release, err = ident.Release.Parse("release", v); err != nil {
			return err
		}
	}
	items, err := s.store.ListDeployments(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Deployment, func(x deploy.Deployment) string { return x.ID })
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Deployment, s.store.GetDeployment, func(x deploy.Deployment) int64 { return x.Revision })
}

func (s *Server) moveDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	id, rev, err := deploymentTarget(r, in.Revision)
	if err != nil {
		return err
	}
	d, err := s.store.MoveDeployment(r.Context(), c.actor, id, rev, in.To, in.Comment)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, d, d.Revision)
}

func (s *Server) advanceDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in advanceIn
	if err := decode(r, &in); err != nil {
		return err
	}
	id, rev, err := deploymentTarget(r, in.Revision)
	if err != nil {
		return err
	}
	d, err := s.store.AdvanceDeployment(r.Context(), c.actor, id, rev, in.Comment)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, d, d.Revision)
}

// deploymentTarget reads the deployment id of the path and the revision the
// caller expects (If-Match or the body's revision; 0: unguarded).
func deploymentTarget(r *http.Request, bodyRev int64) (int64, int64, error) {
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return 0, 0, err
	}
	rev, err := ifMatch(r, bodyRev)
	return id, rev, err
}

func (s *Server) appendDeploymentEvent(w http.ResponseWriter, r *http.Request, c *call) error {
	var in deploymentEventIn
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	ev, err := s.store.AppendDeploymentEvent(r.Context(), c.actor, id, deploy.Event{Kind: in.Kind, Message: in.Message, Links: in.Links})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

func (s *Server) listDeploymentEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListDeploymentEvents(r.Context(), id, pg)
	if err != nil {
		return err
	}
	out := List[deploy.Event]{Items: items}
	if len(items) > 0 {
		out.NextCursor = nextCursor(len(items), pg, items[len(items)-1].ID)
	}
	return writeJSON(w, http.StatusOK, out)
}

// liveDeployments answers what runs in an environment: now, or at ?at= (RFC 3339 with a zone).
func (s *Server) liveDeployments(w http.ResponseWriter, r *http.Request, c *call) error {
	env := r.PathValue("name")
	if _, err := s.store.GetEnvironment(r.Context(), env); err != nil {
		return err
	}
	at := s.store.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return fault.Field("at", "%q is not an RFC 3339 time with a zone (e.g. 2026-03-02T10:00:00Z)", v)
		}
		at = t.UTC()
	}
	items, err := s.store.LiveDeployments(r.Context(), env, at)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, liveOut{Env: env, At: at, Items: items})
}

type deploymentPatch struct {
	Path     *[]deploy.Stage `json:"path"`
	Change   *string         `json:"change"`
	Revision int64           `json:"revision"`
}

func (s *Server) patchDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in deploymentPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return answerUpdate(w, r, ident.Deployment, in.Revision, true, http.StatusOK, func(id, rev int64) (deploy.Deployment, error) {
		return s.store.UpdateDeployment(r.Context(), c.actor, id, rev, func(d *deploy.Deployment) error {
			setIf(&d.Path, in.Path)
			setIf(&d.Change, in.Change)
			return nil
		})
	}, func(d deploy.Deployment) int64 { return d.Revision })
}

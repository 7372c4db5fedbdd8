package api

import (
	"net/http"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// startIn starts a deployment through the gate: explicit stages, or a
// policy path by name, else the environment's or change model's path.
type startIn struct {
	Release string         `json:"release"`
	Env     string         `json:"env"`
	Path    string         `json:"path"`
	Stages  []deploy.Stage `json:"stages"`
	Change  string         `json:"change"`
	Driver  string         `json:"driver"`
	// Deviation names an approved deviation of the change (CHG-n#i) that
	// the start relies on; the change is taken from it when not given.
	Deviation string `json:"deviation"`
}

// startOut is the deployment (running or blocked) and the gate evaluation that decided.
type startOut struct {
	Deployment deploy.Deployment    `json:"deployment"`
	Gate       store.GateEvaluation `json:"gate"`
}

// commandIn is a person's promote, rollback or abort.
type commandIn struct {
	Comment string `json:"comment"`
}

// reportIn is what a pipeline reports for a stage of a deployment with a reported driver.
type reportIn struct {
	Stage   string `json:"stage"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

// deploymentLog is a deployment with its events, actions and measurements.
type deploymentLog struct {
	Deployment   deploy.Deployment        `json:"deployment"`
	Events       []deploy.Event           `json:"events"`
	Actions      []store.DeploymentAction `json:"actions"`
	Measurements []analysis.Measurement   `json:"measurements"`
}

// startDeployment evaluates the gate and stores the attempt: 201 either
// way, the deployment's status says running or blocked.
func (s *Server) startDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in startIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Release == "" {
		return fault.Field("release", "is required")
	}
	pol, version, err := s.Policy(r.Context())
	if err != nil {
		return err
	}
	d, ev, err := s.store.StartDeployment(r.Context(), c.actor, store.StartRequest{Release: in.Release, Env: in.Env,
		Stages: in.Stages, Path: in.Path, Change: in.Change, Driver: in.Driver, Deviation: in.Deviation}, pol, version)
	if err != nil {
		return err
	}
	s.metrics.GateVerdict(ev.Decision)
	if d.Status == deploy.Blocked {
		s.metrics.Deployment(deploy.Blocked)
	}
	s.wakeDeployment(d.ID)
	w.Header().Set("Location", "/api/v1/deployments/"+d.ID)
	return writeJSON(w, http.StatusCreated, startOut{Deployment: d, Gate: ev})
}

func (s *Server) wakeDeployment(id string) {
	if n, err := ident.Deployment.Parse("id", id); err == nil && s.wake != nil {
		s.wake(n)
	}
}

// deploymentCommand answers a person's command on a deployment.
func (s *Server) deploymentCommand(fn func(s *store.Store) func(r *http.Request, c *call, id int64, comment string) (deploy.Deployment, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		var in commandIn
		if err := decode(r, &in); err != nil {
			return err
		}
		id, err := ident.Deployment.Parse("id", r.PathValue("id"))
		if err != nil {
			return err
		}
		d, err := fn(s.store)(r, c, id, in.Comment)
		if err != nil {
			return err
		}
		if s.wake != nil {
			s.wake(id)
		}
		return writeRecord(w, http.StatusOK, d, d.Revision)
	}
}

func (s *Server) promoteDeployment() handlerFunc {
	return s.deploymentCommand(func(st *store.Store) func(*http.Request, *call, int64, string) (deploy.Deployment, error) {
		return func(r *http.Request, c *call, id int64, comment string) (deploy.Deployment, error) {
			return st.PromoteDeployment(r.Context(), c.actor, id, comment)
		}
	})
}

func (s *Server) rollbackDeployment() handlerFunc {
	return s.deploymentCommand(func(st *store.Store) func(*http.Request, *call, int64, string) (deploy.Deployment, error) {
		return func(r *http.Request, c *call, id int64, comment string) (deploy.Deployment, error) {
			return st.RollbackDeployment(r.Context(), c.actor, id, comment)
		}
	})
}

func (s *Server) abortDeployment() handlerFunc {
	return s.deploymentCommand(func(st *store.Store) func(*http.Request, *call, int64, string) (deploy.Deployment, error) {
		return func(r *http.Request, c *call, id int64, comment string) (deploy.Deployment, error) {
			d, err := st.AbortDeployment(r.Context(), c.actor, id, comment)
			if err == nil {
				s.metrics.Deployment(deploy.Aborted)
			}
			return d, err
		}
	})
}

func (s *Server) reportDeployment(w http.ResponseWriter, r *http.Request, c *call) error {
	var in reportIn
	if err := decode(r, &in); err != nil {
		return err
	}
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	a, err := s.store.ReportStage(r.Context(), c.actor, id, in.Stage, in.Status, in.Message)
	if err != nil {
		return err
	}
	if s.wake != nil {
		s.wake(id)
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) deploymentLog(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	var out deploymentLog
	if out.Deployment, err = s.store.GetDeployment(r.Context(), id); err != nil {
		return err
	}
	if out.Events, err = s.store.ListDeploymentEvents(r.Context(), id, store.Page{Limit: 1000}); err != nil {
		return err
	}
	if out.Actions, err = s.store.ListDeploymentActions(r.Context(), id); err != nil {
		return err
	}
	if out.Measurements, err = s.store.ListMeasurements(r.Context(), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

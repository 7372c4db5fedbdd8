package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/auth"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
)

// deployCommanders may promote, roll back and abort a deployment: the roles
// of POST /api/v1/deployments/{id}/promote|rollback|abort (api.deployRW).
var deployCommanders = []auth.Role{auth.ReleaseManager, auth.Pipeline, auth.Admin}

// Bounds of the deployment page: the latest measurements drawn (each costs
// about 30 µs of CPU to draw and tabulate), the latest driver actions
// shown, the events per page, the audit events a stale form lists.
var maxMeasurements = 240 // a variable for tests

const (
	maxActions    = 50
	eventsPerPage = 50
	maxChanges    = 20
)

// deploymentsPerPage is the length of one page of the list (a variable for tests).
var deploymentsPerPage = 50

type deploymentsData struct {
	Items    []deploymentRow
	Env      string
	Status   string
	Statuses []string
	Next     string // the next page's URL, "" when none
}

// deploymentRow is a deployment in the list with its status's class.
type deploymentRow struct {
	deploy.Deployment
	Class string
}

// statusClass is the CSS class shown beside (never instead of) a status's name.
func statusClass(status string) string {
	switch status {
	case deploy.Succeeded:
		return "ok"
	case deploy.Running, deploy.Paused, deploy.Pending:
		return "warn"
	case deploy.Blocked, deploy.RollingBack, deploy.RolledBack, deploy.Failed, deploy.Aborted:
		return "bad"
	}
	return "muted"
}

// deploymentStatuses are the states a list can be filtered by, in lifecycle order.
var deploymentStatuses = []string{deploy.Pending, deploy.Blocked, deploy.Running, deploy.Paused, deploy.RollingBack,
	deploy.Succeeded, deploy.RolledBack, deploy.Failed, deploy.Aborted}

// deployments lists deployments newest first, filtered by env and status,
// paginated by ?before=DEP-n.
func (s *Server) deployments(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	data := deploymentsData{Env: q.Get("env"), Status: q.Get("status"), Statuses: deploymentStatuses}
	if data.Status != "" && !deploy.Machine.Known(data.Status) {
		return fault.Field("status", "unknown deployment state %q", data.Status)
	}
	f := store.RecentFilter{Env: data.Env, Status: data.Status, Limit: deploymentsPerPage + 1}
	if b := q.Get("before"); b != "" {
		n, err := ident.Deployment.Parse("before", b)
		if err != nil {
			return err
		}
		f.Before = n
	}
	items, err := s.store.RecentDeployments(r.Context(), f)
	if err != nil {
		return err
	}
	if len(items) > deploymentsPerPage {
		items = items[:deploymentsPerPage]
		data.Next = "/deployments?" + url.Values{"env": {data.Env}, "status": {data.Status}, "before": {items[len(items)-1].ID}}.Encode()
	}
	for _, d := range items {
		data.Items = append(data.Items, deploymentRow{d, statusClass(d.Status)})
	}
	return s.render(w, r, v, http.StatusOK, "deployments.html", "Deployments", data)
}

// deploymentData is the deployment page.
type deploymentData struct {
	D            deploy.Deployment
	Live         liveData
	Charts       []chart
	Measurements int  // how many are drawn
	Capped       bool // more exist than are drawn
	Events       []deploy.Event
	EventsPage   pagerData
	Actions      []store.DeploymentAction
	Commander    bool          // the visitor may promote, roll back, abort
	Changed      []audit.Event // after a refused form: what changed since it was rendered
	Comment      string        // the comment of a refused form, kept
}

// pagerData is what the "pager" partial takes.
type pagerData struct{ Next string }

// deployment shows one deployment.
func (s *Server) deployment(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	data, err := s.deploymentView(r, v, id)
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "deployment.html", data.D.ID, data)
}

// deploymentView reads everything the deployment page shows, each read bounded.
func (s *Server) deploymentView(r *http.Request, v *visit, id int64) (*deploymentData, error) {
	ctx := r.Context()
	d, err := s.store.GetDeployment(ctx, id)
	if err != nil {
		return nil, err
	}
	data := &deploymentData{D: d}
	_, data.Commander = v.principal.ActingRole(deployCommanders)
	if data.Actions, err = s.store.LatestDeploymentActions(ctx, d, maxActions); err != nil {
		return nil, err
	}
	data.Live = newLiveData(d, data.Actions, v, data.Commander)
	ms, err := s.store.LatestMeasurements(ctx, id, maxMeasurements+1)
	if err != nil {
		return nil, err
	}
	if len(ms) > maxMeasurements {
		ms, data.Capped = ms[1:], true
	}
	data.Measurements = len(ms)
	if len(ms) > 0 {
		pol, _, err := s.cfg.Policy(ctx)
		if err != nil {
			return nil, err
		}
		data.Charts = buildCharts(ms, pol)
	}
	return data, s.deploymentEvents(r, data)
}

// deploymentEvents reads one page of the event log (?events_after=N).
func (s *Server) deploymentEvents(r *http.Request, data *deploymentData) error {
	var after int64
	if a := r.URL.Query().Get("events_after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return fault.Field("events_after", "must be an event number")
		}
		after = n
	}
	id, _ := ident.Deployment.Parse("id", data.D.ID)
	evs, err := s.store.ListDeploymentEvents(r.Context(), id, store.Page{After: after, Limit: eventsPerPage + 1})
	if err != nil {
		return err
	}
	if len(evs) > eventsPerPage {
		evs = evs[:eventsPerPage]
		data.EventsPage.Next = "/deployments/" + data.D.ID + "?events_after=" + strconv.FormatInt(evs[len(evs)-1].ID, 10) + "#events"
	}
	data.Events = evs
	return nil
}

// stageRow is one stage of the path with what happened to it.
type stageRow struct {
	Name       string
	Weight     int
	Duration   string // how long it is analysed
	Analysis   []string
	State      string // done, current, not reached, not started, stopped, rolled back
	Class      string // ok, warn, bad, muted: with the State text, never alone
	Action     string // the status of the driver action that reached it
	StartedAt  *time.Time
	FinishedAt *time.Time
}

// stageRows states each stage of d, with the times of the driver action
// that reached it (deploy for the first, promote for the others).
func stageRows(d deploy.Deployment, acts []store.DeploymentAction) []stageRow {
	rows := make([]stageRow, len(d.Path))
	for i, st := range d.Path {
		rows[i] = stageRow{Name: st.Name, Weight: st.Weight, Duration: stageDuration(st.Duration), Analysis: st.Analysis}
		rows[i].State, rows[i].Class = stageState(d, i)
	}
	for _, a := range acts {
		if (a.Kind == rollout.ActionDeploy || a.Kind == rollout.ActionPromote) && a.Stage >= 0 && a.Stage < len(rows) {
			rows[a.Stage].Action, rows[a.Stage].StartedAt, rows[a.Stage].FinishedAt = a.Status, a.StartedAt, a.FinishedAt
		}
	}
	return rows
}

func stageState(d deploy.Deployment, i int) (string, string) {
	switch {
	case d.Status == deploy.Pending || d.Status == deploy.Blocked:
		return "not started", "muted"
	case i > d.CurrentStage:
		return "not reached", "muted"
	case i < d.CurrentStage || d.Status == deploy.Succeeded:
		return "done", "ok"
	case d.Status == deploy.Running || d.Status == deploy.Paused:
		return "current (" + d.Status + ")", "warn"
	case d.Status == deploy.RollingBack:
		return "rolling back", "bad"
	case d.Status == deploy.RolledBack:
		return "rolled back", "bad"
	}
	return "stopped (" + d.Status + ")", "bad"
}

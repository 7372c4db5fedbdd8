package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// liveData is the deployment's status region: the part of the page that
// refreshes itself (htmx, GET /deployments/{id}/live) while the rollout
// engine may still change it.
type liveData struct {
	D         deploy.Deployment
	Class     string // of the status
	Stages    []stageRow
	Poll      bool // the region asks for itself again every 2 s
	Watching  bool
	Commander bool
	// What a commander may ask now; the store decides (Conflict otherwise).
	CanPromote, CanRollback, CanAbort bool
}

func newLiveData(d deploy.Deployment, acts []store.DeploymentAction, v *visit, commander bool) liveData {
	watching := d.Watching(v.now)
	return liveData{D: d, Class: statusClass(d.Status), Stages: stageRows(d, acts), Watching: watching, Commander: commander,
		Poll:        !deploy.Final(d.Status) && d.Status != deploy.Blocked && (d.Status != deploy.Succeeded || watching),
		CanPromote:  d.Status == deploy.Running || d.Status == deploy.Paused,
		CanRollback: d.Status == deploy.Running || d.Status == deploy.Paused || watching,
		CanAbort:    d.Status == deploy.Pending || d.Status == deploy.Blocked || d.Status == deploy.Running || d.Status == deploy.Paused}
}

// deploymentLive answers the status region alone (no layout), for htmx.
func (s *Server) deploymentLive(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := ident.Deployment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := s.store.GetDeployment(r.Context(), id)
	if err != nil {
		return err
	}
	acts, err := s.store.LatestDeploymentActions(r.Context(), d, maxActions)
	if err != nil {
		return err
	}
	_, commander := v.principal.ActingRole(deployCommanders)
	live := newLiveData(d, acts, v, commander)
	var buf bytes.Buffer
	if err := s.tmpl.byName["deployment.html"].ExecuteTemplate(&buf, "live", &live); err != nil {
		return fmt.Errorf("web: render live region: %w", err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(buf.Bytes())
	return err
}

// deploymentCommand is a person's promote, rollback or abort from the
// page: the store function the API's command calls, then the engine is
// woken so it acts at once, then back to the page (303) saying what was
// asked. A command the deployment's state no longer allows (409) shows the
// page as it is now, with what changed since the form's revision.
func (s *Server) deploymentCommand(kind string) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		id, err := ident.Deployment.Parse("id", r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := r.ParseForm(); err != nil {
			return fault.Field("form", "cannot read the form: %v", err)
		}
		comment := strings.TrimSpace(r.PostForm.Get("comment"))
		seen, _ := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
		d, err := s.runCommand(r, v, kind, id, comment)
		if code := fault.CodeOf(err); code == fault.Conflict || code == fault.PreconditionFailed {
			return s.staleDeployment(w, r, v, id, seen, comment, err)
		}
		if err != nil {
			return err
		}
		if s.cfg.Wake != nil {
			s.cfg.Wake(id)
		}
		done := fmt.Sprintf("%s of %s requested; it is %s.", commandNames[kind], d.ID, d.Status)
		http.Redirect(w, r, "/deployments/"+d.ID+"?done="+url.QueryEscape(done), http.StatusSeeOther)
		return nil
	}
}

var commandNames = map[string]string{"promote": "Promotion", "rollback": "Rollback", "abort": "Abort"}

// runCommand calls the store function of POST /api/v1/deployments/{id}/KIND.
func (s *Server) runCommand(r *http.Request, v *visit, kind string, id int64, comment string) (deploy.Deployment, error) {
	switch kind {
	case "promote":
		return s.store.PromoteDeployment(r.Context(), v.actor, id, comment)
	case "rollback":
		return s.store.RollbackDeployment(r.Context(), v.actor, id, comment)
	case "abort":
		return s.store.AbortDeployment(r.Context(), v.actor, id, comment)
	}
	return deploy.Deployment{}, fault.NotFoundf("no command %q", kind)
}

// staleDeployment answers a refused command with the page as it is now
// (409), the refusal, and the audited changes after revision seen.
func (s *Server) staleDeployment(w http.ResponseWriter, r *http.Request, v *visit, id, seen int64, comment string, cause error) error {
	data, err := s.deploymentView(r, v, id)
	if err != nil {
		return err
	}
	data.Comment = comment
	if seen > 0 && seen < data.D.Revision {
		if data.Changed, err = s.store.AuditEventsAfter(r.Context(), "deployment", data.D.ID, seen, maxChanges); err != nil {
			return err
		}
	}
	msg := strings.TrimSuffix(fault.As(cause).Message, ".") + "."
	if seen > 0 && seen < data.D.Revision {
		msg += fmt.Sprintf(" The page was at revision %d; the deployment is now at revision %d, see what changed below.", seen, data.D.Revision)
	}
	return s.renderView(w, r, v, http.StatusConflict, "deployment.html",
		&view{Title: data.D.ID, Path: r.URL.Path, Data: data, Error: msg})
}

// stageDuration says how long a stage is analysed ("until promoted" for 0).
func stageDuration(d policy.Duration) string {
	if d == 0 {
		return "until promoted"
	}
	return policy.FormatDuration(time.Duration(d))
}

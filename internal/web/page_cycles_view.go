package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fixgate/internal/api"
	"fixgate/internal/audit"
	"fixgate/internal/cycle"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// One release cycle (GET /cycles/{id}, CYC-n or its name): its window,
// target environments, and each targeted problem with its state and the
// releases (not canceled) that resolve it, as GET /api/v1/cycles/{id}
// (store.CycleTargets). Targeting a problem (POST /cycles/{id}/problems)
// and stopping (POST /cycles/{id}/problems/{problem}/remove) go through
// store.AddCycleProblem and store.RemoveCycleProblem with the revision the
// page was rendered at, as the API's POST and DELETE do with If-Match.

// cycleData is what cycle.html shows.
type cycleData struct {
	Cycle    cycle.Cycle
	Targets  []cycle.Target
	CanEdit  bool
	PlanLink string        // the release plan of the targeted problems
	Problem  string        // the target form's problem, kept after a refusal
	Changed  []audit.Event // after a stale form: what changed since its revision
}

func (s *Server) cyclePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.renderCycle(w, r, v, r.PathValue("id"), "", 0, nil)
}

// renderCycle shows cycle ref; failure is a refused change, shown with the
// API's status, the form's problem kept and, when the form was stale (its
// revision rev), what changed since.
func (s *Server) renderCycle(w http.ResponseWriter, r *http.Request, v *visit, ref, problem string, rev int64, failure error) error {
	c, targets, err := s.store.CycleTargets(r.Context(), ref)
	if err != nil {
		return err
	}
	d := &cycleData{Cycle: c, Targets: targets, CanEdit: s.allows(v, "POST /cycles/{id}/problems"), Problem: problem}
	if len(c.Problems) > 0 {
		d.PlanLink = "/release-plan?" + url.Values{"resolves": {strings.Join(c.Problems, " ")}}.Encode()
	}
	vw := &view{Title: c.ID + " " + c.Name, Path: r.URL.Path, Data: d, Flash: r.URL.Query().Get("done")}
	status := http.StatusOK
	if fe := fault.As(failure); fe != nil {
		status, vw.Error, vw.Field = api.StatusOf(failure), fieldMessage(fe), fe.Field
		if stale(failure) {
			if d.Changed, err = s.changedSince(r.Context(), "cycle", c.ID, rev); err != nil {
				return err
			}
			vw.Error = c.ID + " changed since the page was loaded (revision " + strconv.FormatInt(rev, 10) + ", now " +
				strconv.FormatInt(c.Revision, 10) + "): nothing was saved; check it and send the form again"
		}
	}
	return s.renderView(w, r, v, status, "cycle.html", vw)
}

// cycleChange reads a target form: the cycle's revision (required: the
// person changes what they read) and where to go back to.
func cycleChange(r *http.Request) (rev int64, err error) {
	if err := r.ParseForm(); err != nil {
		return 0, fault.Field("form", "cannot read the form: %v", err)
	}
	rev, err = strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if err != nil || rev < 1 {
		return 0, fault.Field("revision", "the form carries no revision; reload the page")
	}
	return rev, nil
}

// targetProblem targets the form's problem in the cycle (an id already
// targeted changes nothing).
func (s *Server) targetProblem(w http.ResponseWriter, r *http.Request, v *visit) error {
	ref := r.PathValue("id")
	rev, err := cycleChange(r)
	problem := strings.TrimSpace(r.PostForm.Get("problem"))
	if err == nil {
		if problem == "" {
			err = fault.Field("problem", "name the problem to target, such as PRB-7")
		} else {
			var c cycle.Cycle
			if c, err = s.store.AddCycleProblem(r.Context(), v.actor, ref, rev, problem); err == nil {
				return s.cycleDone(w, r, c, c.ID+" targets "+problemRef(problem)+".")
			}
		}
	}
	return s.cycleRefused(w, r, v, ref, problem, rev, err)
}

// untargetProblem stops targeting the problem of the path.
func (s *Server) untargetProblem(w http.ResponseWriter, r *http.Request, v *visit) error {
	ref, problem := r.PathValue("id"), r.PathValue("problem")
	rev, err := cycleChange(r)
	if err == nil {
		var c cycle.Cycle
		if c, err = s.store.RemoveCycleProblem(r.Context(), v.actor, ref, rev, problem); err == nil {
			return s.cycleDone(w, r, c, c.ID+" no longer targets "+problem+".")
		}
	}
	return s.cycleRefused(w, r, v, ref, "", rev, err)
}

// problemRef normalises a typed problem id for a message (PRB-7 for "7").
func problemRef(x string) string {
	if n, err := ident.Problem.Parse("problem", x); err == nil {
		return ident.Problem.Format(n)
	}
	return x
}

// cycleDone redirects after a change: to the cycle plan when the form came
// from it (back=plan, keeping its window), else to the cycle.
func (s *Server) cycleDone(w http.ResponseWriter, r *http.Request, c cycle.Cycle, msg string) error {
	if r.PostForm.Get("back") == "plan" {
		q := url.Values{"cycle": {c.ID}, "done": {msg}}
		if since := r.PostForm.Get("since"); since != "" {
			q.Set("since", since)
		}
		http.Redirect(w, r, "/cycles/plan?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	return seeDone(w, r, "/cycles/"+c.ID, msg)
}

// cycleRefused shows the cycle with why nothing was saved (a refusal by
// rule is audited as the API audits it); other errors go to the error page.
func (s *Server) cycleRefused(w http.ResponseWriter, r *http.Request, v *visit, ref, problem string, rev int64, err error) error {
	if !personal(err) {
		return err
	}
	return s.renderCycle(w, r, v, ref, problem, rev, s.refused(r, v.actor, err))
}

package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/auth"
	"fixgate/internal/cycle"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// Release cycles (a sprint, a patch train): the list (GET /cycles, 50 a
// page) and the form that creates one (POST /cycles: store.CreateCycle as
// POST /api/v1/cycles, with the API's roles). One cycle and its targets is
// page_cycles_view.go; the ranked plan is page_cycles_plan.go.

// cycleEditors may create cycles and change their targets (the API's cycleRW).
var cycleEditors = []auth.Role{auth.ProblemManager, auth.ReleaseManager, auth.Admin}

// maxCycleEnvs bounds the environments offered as a cycle's targets.
const maxCycleEnvs = 200

// cyclesData is what cycles.html shows.
type cyclesData struct {
	Cycles    []cycle.Cycle
	Next      string
	CanCreate bool
	Envs      []environment.Environment
	Form      cycleForm
}

// cycleForm is the create form as sent (kept after a refusal).
type cycleForm struct {
	Name, Starts, Ends string
	Envs               []string
}

// Has reports whether the form names environment env.
func (f cycleForm) Has(env string) bool { return slices.Contains(f.Envs, env) }

func (s *Server) cycleList(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.renderCycles(w, r, v, cycleForm{}, nil)
}

// renderCycles shows the list and the create form; failure is a refused
// creation, shown with the API's status and the form as sent.
func (s *Server) renderCycles(w http.ResponseWriter, r *http.Request, v *visit, form cycleForm, failure error) error {
	d := &cyclesData{Form: form, CanCreate: s.allows(v, "POST /cycles")}
	after, err := cursor(r.URL.Query().Get("after"), ident.Cycle)
	if err != nil {
		return err
	}
	if d.Cycles, err = s.store.ListCycles(r.Context(), store.Page{After: after, Limit: listPageRows}); err != nil {
		return err
	}
	if n := len(d.Cycles); n == listPageRows {
		d.Next = withParam(r, "after", d.Cycles[n-1].ID)
	}
	if d.CanCreate {
		if d.Envs, err = s.store.ListEnvironments(r.Context(), "", "", maxCycleEnvs); err != nil {
			return err
		}
	}
	vw := &view{Title: "Release cycles", Path: r.URL.Path, Data: d, Flash: r.URL.Query().Get("done")}
	status := http.StatusOK
	if fe := fault.As(failure); fe != nil {
		status, vw.Error, vw.Field = api.StatusOf(failure), fieldMessage(fe), fe.Field
	}
	return s.renderView(w, r, v, status, "cycles.html", vw)
}

// fieldMessage is an error's message prefixed with the field it names.
func fieldMessage(fe *fault.Error) string {
	if fe.Field != "" {
		return fe.Field + ": " + fe.Message
	}
	return fe.Message
}

// createCycle creates the cycle the form describes (store.CreateCycle:
// the name's rules, the window, the environments must exist).
func (s *Server) createCycle(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	form := cycleForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Starts: strings.TrimSpace(r.PostForm.Get("starts_at")),
		Ends: strings.TrimSpace(r.PostForm.Get("ends_at")), Envs: r.PostForm["envs"]}
	c := cycle.Cycle{Name: form.Name, Envs: form.Envs}
	var err error
	if c.Starts, err = cycleDay("starts_at", form.Starts); err == nil {
		if c.Ends, err = cycleDay("ends_at", form.Ends); err == nil {
			c, err = s.store.CreateCycle(r.Context(), v.actor, c)
		}
	}
	if err != nil {
		if !personal(err) {
			return err
		}
		return s.renderCycles(w, r, v, form, s.refused(r, v.actor, err))
	}
	return seeDone(w, r, "/cycles/"+c.ID, c.ID+" "+c.Name+" created.")
}

// cycleDay reads a date of a cycle's window, YYYY-MM-DD, as midnight UTC
// (as `fixgate cycle create --from/--to` does). Returns Invalid naming field.
func cycleDay(field, x string) (time.Time, error) {
	if x == "" {
		return time.Time{}, fault.Field(field, "is required (a date, YYYY-MM-DD)")
	}
	t, err := time.Parse(time.DateOnly, x)
	if err != nil {
		return t, fault.Field(field, "%q is not a date (YYYY-MM-DD)", x)
	}
	return t, nil
}

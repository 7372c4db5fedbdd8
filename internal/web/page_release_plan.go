package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"fixgate/internal/api"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

// The release plan (GET /release-plan?resolves=PRB-1 PRB-2): what to
// rebuild and redeploy for a fix of the problems named, in dependency
// order with each reason, as GET /api/v1/releases/plan answers it
// (store.ReleasePlan). Its form creates the problem-fix release (POST
// /release-plan/release) as POST /api/v1/releases does with next: the
// version proposed by store.NextReleaseVersion unless one is typed, then
// store.CreateRelease, with the API's roles.

// releaseCreators may create releases (the API's releaseRW).
var releaseCreators = []auth.Role{auth.ReleaseManager, auth.Engineer, auth.Admin, auth.Pipeline}

// maxPlanProblems bounds the problems one plan names.
const maxPlanProblems = 50

// releasePlanData is what release_plan.html shows.
type releasePlanData struct {
	Input     string   // the problems as typed
	Resolves  []string // the problems, PRB-n
	Asked     bool     // a plan was asked for
	Items     []release.PlanItem
	CanCreate bool
	Title     string // the create form's fields, kept after a refusal
	Version   string
}

func (s *Server) releasePlanPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	d := &releasePlanData{Input: strings.Join(r.URL.Query()["resolves"], " ")}
	return s.renderPlan(w, r, v, d, nil)
}

// parseResolves reads problem ids separated by spaces or commas (PRB-7 or
// 7), each once, in the order given. Returns Invalid naming "resolves".
func parseResolves(in string) ([]string, error) {
	var out []string
	for _, f := range strings.FieldsFunc(in, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' }) {
		n, err := ident.Problem.Parse("resolves", f)
		if err != nil {
			return nil, err
		}
		if id := ident.Problem.Format(n); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) == 0 {
		return nil, fault.Field("resolves", "name at least one problem, such as PRB-7")
	}
	if len(out) > maxPlanProblems {
		return nil, fault.Field("resolves", "name at most %d problems", maxPlanProblems)
	}
	return out, nil
}

// renderPlan computes the plan d.Input asks for and shows it; failure is a
// refused creation, shown above the plan with its status. A plan the store
// refuses (an unknown problem, a cycle among the CIs) is shown as the
// page's error with the API's status.
func (s *Server) renderPlan(w http.ResponseWriter, r *http.Request, v *visit, d *releasePlanData, failure error) error {
	d.CanCreate = s.allows(v, "POST /release-plan/release")
	vw := &view{Title: "Release plan", Path: r.URL.Path, Data: d, Flash: r.URL.Query().Get("done")}
	status := http.StatusOK
	if strings.TrimSpace(d.Input) != "" {
		d.Asked = true
		var err error
		if d.Resolves, err = parseResolves(d.Input); err == nil {
			d.Items, err = s.store.ReleasePlan(r.Context(), d.Resolves)
		}
		if err != nil && !personal(err) {
			return err
		}
		if err != nil {
			d.Items, failure = nil, err
		}
	}
	if fe := fault.As(failure); fe != nil {
		status, vw.Error, vw.Field = api.StatusOf(failure), fe.Message, fe.Field
		if fe.Field != "" {
			vw.Error = fe.Field + ": " + fe.Message
		}
	}
	return s.renderView(w, r, v, status, "release_plan.html", vw)
}

// createPlannedRelease creates the problem-fix release resolving the
// plan's problems, at the version typed or, when none is, the next patch
// the server proposes (and says what it was based on).
func (s *Server) createPlannedRelease(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	d := &releasePlanData{Input: r.PostForm.Get("resolves"), Title: strings.TrimSpace(r.PostForm.Get("title")),
		Version: strings.TrimSpace(r.PostForm.Get("version"))}
	resolves, err := parseResolves(d.Input)
	if err != nil {
		return s.renderPlan(w, r, v, d, err)
	}
	version, basis := d.Version, ""
	if version == "" {
		if version, basis, err = s.store.NextReleaseVersion(r.Context(), resolves); err != nil {
			return s.planRefused(w, r, v, d, err)
		}
	}
	rel, err := s.store.CreateRelease(r.Context(), v.actor, release.Release{Version: version, Type: release.ProblemFix,
		Title: d.Title, Resolves: resolves})
	if err != nil {
		return s.planRefused(w, r, v, d, err)
	}
	done := rel.ID + " " + rel.Version + " created, resolving " + strings.Join(rel.Resolves, ", ")
	if basis != "" {
		done += "; its version is the next patch over " + basis
	}
	http.Redirect(w, r, "/releases/"+rel.ID+"?"+url.Values{"done": {done}}.Encode(), http.StatusSeeOther)
	return nil
}

// planRefused shows the plan again with why the release was not created
// (a refusal by rule is audited as the API audits it); other errors go to
// the error page.
func (s *Server) planRefused(w http.ResponseWriter, r *http.Request, v *visit, d *releasePlanData, err error) error {
	if !personal(err) {
		return err
	}
	return s.renderPlan(w, r, v, d, s.refused(r, v.actor, err))
}

package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// listPageRows is the page size of the pages' lists.
const listPageRows = 50

// problemList is the data of problems.html.
type problemList struct {
	Items    []problem.Problem
	Status   string
	Priority int
	CI       string
	States   []string
	Next     string
	// Bounded is the page when it stopped after reading Scan problems
	// of one filter with fewer matching the others (store.ProblemPage).
	Bounded *store.ProblemPage
	Scan    int
}

// problems lists problems filtered by status, priority and CI, in id
// order, one page at a time (store.ListProblemsPage: each filter has its
// index in id order; combined filters that are each common but rare
// together read store.ProblemScan problems a page).
func (s *Server) problems(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := problemList{Status: q.Get("status"), CI: strings.TrimSpace(q.Get("ci")), States: problem.Machine.States(), Scan: store.ProblemScan}
	if d.Status != "" && !problem.Machine.Known(d.Status) {
		return fault.Field("status", "unknown problem state %q", d.Status)
	}
	var err error
	if d.Priority, err = intParam(q, "priority", 0, 4); err != nil {
		return err
	}
	after, err := idParam(q, "after", ident.Problem)
	if err != nil {
		return err
	}
	page, err := s.store.ListProblemsPage(r.Context(), store.ProblemFilter{Status: d.Status, Priority: d.Priority, CI: d.CI,
		Page: store.Page{After: after, Limit: listPageRows}})
	if err != nil {
		return err
	}
	d.Items = page.Items
	if page.Next != 0 {
		d.Next = withParam(r, "after", ident.Problem.Format(page.Next))
	}
	if page.Bounded {
		d.Bounded = &page
	}
	return s.render(w, r, v, http.StatusOK, "problems.html", "Problems", d)
}

// intParam reads an optional integer in lo..hi from values (0 when absent).
func intParam(q url.Values, name string, lo, hi int) (int, error) {
	x := strings.TrimSpace(q.Get(name))
	if x == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(x)
	if err != nil || n < lo || n > hi {
		return 0, fault.Field(name, "must be a number from %d to %d", lo, hi)
	}
	return n, nil
}

// idParam reads an optional record id (PRB-12 or 12) from values (0 when absent).
func idParam(q url.Values, name string, k ident.Kind) (int64, error) {
	x := strings.TrimSpace(q.Get(name))
	if x == "" {
		return 0, nil
	}
	return k.Parse(name, x)
}

// withParam returns the request's URL with param set to value (the next page).
func withParam(r *http.Request, param, value string) string {
	q := r.URL.Query()
	q.Set(param, value)
	q.Del("done")
	return r.URL.Path + "?" + q.Encode()
}

// allows reports whether v's caller holds one of the roles of the page
// declared with pattern (routes.go), so that a page offers only the forms
// its reader may send. The page's own check still decides.
func (s *Server) allows(v *visit, pattern string) bool {
	for _, p := range s.pages {
		if p.pattern == pattern {
			_, ok := v.principal.ActingRole(p.roles)
			return ok
		}
	}
	return false
}

// problemID parses the {id} of a problem's path.
func problemID(r *http.Request) (int64, error) {
	return ident.Problem.Parse("id", r.PathValue("id"))
}

// seeDone redirects (303) to path with a one-line confirmation.
func seeDone(w http.ResponseWriter, r *http.Request, path, msg string) error {
	http.Redirect(w, r, path+"?done="+url.QueryEscape(msg), http.StatusSeeOther)
	return nil
}

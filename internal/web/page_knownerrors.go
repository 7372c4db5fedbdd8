package web

import (
	"net/http"
	"net/url"
	"strings"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/store"
)

// knownErrorSearch is the data of knownerrors.html.
type knownErrorSearch struct {
	Q        string
	Label    string // the label filter as typed: name=value, several separated by spaces
	Status   string
	Problem  string
	States   []string
	Items    []knownerror.KnownError
	Searched bool
	Next     string
}

// knownErrors searches the known error database so that a responder finds
// the workaround for a new incident: ?q= matches title, symptoms or
// workaround (case-insensitive), ?label=name=value (several, separated by
// spaces, or the parameter repeated) must all be carried, ?status= and
// ?problem= narrow further. It is store.ListKnownErrors, as GET
// /api/v1/known-errors: labels through index known_error_labels_pair_ke, the
// text by LIKE over the known errors in id order, one page (LIMIT) at a time.
func (s *Server) knownErrors(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := knownErrorSearch{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Problem: strings.TrimSpace(q.Get("problem")),
		States: knownerror.Machine.States()}
	var pairs []string
	for _, l := range q["label"] {
		pairs = append(pairs, strings.Fields(l)...)
	}
	d.Label = strings.Join(pairs, " ")
	d.Searched = d.Q != "" || len(pairs) > 0 || d.Status != "" || d.Problem != ""
	vw := &view{Title: "Known errors", Path: r.URL.Path, Data: &d}
	f, err := knownErrorFilter(q, &d, pairs)
	if err == nil {
		d.Items, err = s.store.ListKnownErrors(r.Context(), f)
	}
	if fe := fault.As(err); fe != nil && fe.Code == fault.Invalid {
		vw.Error, vw.Field = fe.Field+": "+fe.Message, fe.Field
		return s.renderView(w, r, v, http.StatusBadRequest, "knownerrors.html", vw)
	}
	if err != nil {
		return err
	}
	if len(d.Items) == listPageRows {
		d.Next = withParam(r, "after", d.Items[len(d.Items)-1].ID)
	}
	return s.renderView(w, r, v, http.StatusOK, "knownerrors.html", vw)
}

// knownErrorFilter checks the search's parameters as GET
// /api/v1/known-errors does. Returns Invalid naming the parameter.
func knownErrorFilter(q url.Values, d *knownErrorSearch, pairs []string) (store.KnownErrorFilter, error) {
	f := store.KnownErrorFilter{Status: d.Status, Q: d.Q, Page: store.Page{Limit: listPageRows}}
	if d.Status != "" && !knownerror.Machine.Known(d.Status) {
		return f, fault.Field("status", "unknown known error state %q", d.Status)
	}
	if len(d.Q) > 200 {
		return f, fault.Field("q", "is longer than 200 characters")
	}
	var err error
	if f.Labels, err = labels.ParseSet("label", pairs); err != nil {
		return f, err
	}
	if f.Problem, err = idParam(q, "problem", ident.Problem); err != nil {
		return f, err
	}
	f.After, err = idParam(q, "after", ident.KnownError)
	return f, err
}

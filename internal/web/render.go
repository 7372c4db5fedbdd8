package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"fixgate/internal/api"
	"fixgate/internal/auth"
	"fixgate/internal/fault"
)

// templates holds one parsed set per page template: layout.html plus the
// page's file, which defines "title" and "content".
type templates struct {
	byName map[string]*template.Template
}

// funcs are the helpers every template may call.
var funcs = template.FuncMap{
	"when":    when,
	"ago":     ago,
	"join":    strings.Join,
	"query":   url.QueryEscape,
	"hasRole": func(v *view, r string) bool { return v != nil && v.Principal.Has(auth.Role(r)) },
}

func parseTemplates(pages []page) (*templates, error) {
	t := &templates{byName: map[string]*template.Template{}}
	names := []string{"error.html"}
	for _, p := range pages {
		if p.tmpl != "" {
			names = append(names, p.tmpl)
		}
	}
	for _, n := range names {
		if t.byName[n] != nil {
			continue
		}
		x, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", "templates/"+n)
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", n, err)
		}
		t.byName[n] = x
	}
	return t, nil
}

// view is what the layout receives: the page's own data is in Data.
type view struct {
	Title     string
	Principal auth.Principal
	SignedIn  bool
	Path      string
	Flash     string // a one-line confirmation after an action
	Error     string // a one-line error shown above the page
	Field     string // the form field the error names
	Data      any
}

// render writes page template name with data for v's caller.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name string, title string, data any) error {
	return s.renderView(w, r, v, status, name, &view{Title: title, Path: r.URL.Path, Data: data, Flash: r.URL.Query().Get("done")})
}

// renderView writes template name with the layout's view vw.
func (s *Server) renderView(w http.ResponseWriter, r *http.Request, v *visit, status int, name string, vw *view) error {
	x := s.tmpl.byName[name]
	if x == nil {
		return fmt.Errorf("web: no template %s", name)
	}
	if v != nil {
		vw.Principal, vw.SignedIn = v.principal, true
	}
	var buf bytes.Buffer
	if err := x.ExecuteTemplate(&buf, "layout.html", vw); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// fail answers err as an HTML error page with the API's status for its
// code. Internal errors are logged and shown without their detail.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	status := api.StatusOf(err)
	msg := err.Error()
	if fe := fault.As(err); fe != nil {
		msg = fe.Message
		if fe.Field != "" {
			msg = fe.Field + ": " + fe.Message
		}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		status, msg = http.StatusRequestEntityTooLarge, "the form is too large"
	}
	if status == http.StatusInternalServerError {
		s.log.Error("internal error", "err", err, "path", r.URL.Path)
		msg = "internal error; the server log has the details"
	}
	data := map[string]any{"Status": status, "StatusText": http.StatusText(status), "Message": msg}
	if rerr := s.render(w, r, v, status, "error.html", http.StatusText(status), data); rerr != nil {
		http.Error(w, msg, status)
	}
}

func notFound(r *http.Request) error {
	return fault.NotFoundf("no such page: %s", r.URL.Path)
}

// when formats t for a <time> element: UTC text that app.js turns into the
// viewer's time zone (UTC stays in the title).
func when(t any) template.HTML {
	var tt time.Time
	switch x := t.(type) {
	case time.Time:
		tt = x
	case *time.Time:
		if x == nil {
			return ""
		}
		tt = *x
	default:
		return ""
	}
	if tt.IsZero() {
		return ""
	}
	u := tt.UTC()
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		u.Format(time.RFC3339), u.Format("2006-01-02 15:04:05 UTC"), u.Format("2006-01-02 15:04 UTC")))
}

// ago says how long before now t was, in the largest whole unit.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	default:
		return fmt.Sprintf("%d d", int(d.Hours()/24))
	}
}

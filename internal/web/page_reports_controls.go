package web

import (
	"net/http"
	"strconv"
	"strings"

	"fixgate/internal/control"
	"fixgate/internal/export"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// Control assessments (docs/governance.md) on the reports pages, with the
// roles of /api/v1/reports/controls (api.assessors: auditor and admin).
// Auditors may assess a period: an assessment is the auditor's own record
// (ASSESS-n, audited as assessment.create with the acting user); it
// changes no release, change, problem or approval, so separation of duties
// — which keeps people from approving their own work — does not forbid
// it; rather, an auditor, who operates nothing, is the independent
// assessor ISO audits expect. Admins may too; who assessed is on the record.

// assessmentsShown bounds the list: a monthly job adds 12 a year; older
// ones are found by ?period=.
const assessmentsShown = 100

// exceptionsShown bounds the exceptions listed per control on the page; the
// exports list them all.
const exceptionsShown = 100

type assessmentsData struct {
	Period string // the list's filter
	Assess string // the form's period
	Items  []store.Assessment
	More   bool
}

// assessmentsPage is GET /reports/controls: the stored assessments newest
// first (store.ListAssessments, as GET /api/v1/reports/controls), of one
// period with ?period=, and the form to assess a period.
func (s *Server) assessmentsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	d := assessmentsData{Period: strings.TrimSpace(r.URL.Query().Get("period"))}
	return s.renderAssessments(w, r, v, &d, nil)
}

// renderAssessments lists the assessments of d.Period (all when it is ""
// or malformed) and shows formErr, an Invalid error of the filter or the
// form, on the page.
func (s *Server) renderAssessments(w http.ResponseWriter, r *http.Request, v *visit, d *assessmentsData, formErr error) error {
	vw := &view{Title: "Control assessments", Path: "/reports/controls", Data: d, Flash: r.URL.Query().Get("done")}
	period := ""
	if d.Period != "" {
		p, err := control.ParsePeriod(d.Period)
		if err != nil {
			formErr = err
		}
		period = p.Name
	}
	status := http.StatusOK
	if formErr != nil {
		fe := fault.As(formErr)
		if fe == nil || fe.Code != fault.Invalid {
			return formErr
		}
		vw.Error, vw.Field, status = fe.Field+": "+fe.Message, fe.Field, http.StatusBadRequest
	}
	items, err := s.store.ListAssessments(r.Context(), period, assessmentsShown+1)
	if err != nil {
		return err
	}
	d.Items, d.More = items[:min(len(items), assessmentsShown)], len(items) > assessmentsShown
	return s.renderView(w, r, v, status, "reports_controls.html", vw)
}

// assessPeriod is POST /reports/controls: store.AssessControls over the
// period of the form (as POST /api/v1/reports/controls: same roles, the
// same audit event), then the new assessment's page.
func (s *Server) assessPeriod(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := r.ParseForm(); err != nil {
		return fault.Field("form", "cannot read the form: %v", err)
	}
	d := assessmentsData{Assess: strings.TrimSpace(r.PostForm.Get("period"))}
	p, err := control.ParsePeriod(d.Assess)
	if err != nil {
		return s.renderAssessments(w, r, v, &d, err)
	}
	a, err := s.store.AssessControls(r.Context(), v.actor, p)
	if err != nil {
		return err
	}
	msg := a.ID + ": " + p.Name + " assessed, every control passed."
	if !a.Passed {
		msg = a.ID + ": " + p.Name + " assessed, " + plural(a.Exceptions(), "exception") + "."
	}
	return seeDone(w, r, "/reports/controls/"+a.ID, msg)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// assessmentData is the data of reports_assessment.html.
type assessmentData struct {
	A        store.Assessment
	Controls []controlView
}

type controlView struct {
	control.Result
	Shown []exceptionView
	More  int // exceptions not listed here (see the exports)
}

type exceptionView struct {
	Record, Href, Reason string
}

// assessmentPage is GET /reports/controls/{id}: one stored assessment,
// each control with its sample and exceptions linked to their records;
// ?format=md|html|pdf answers its ISO/IEC 20000 export (store.ExportDocument
// and export.Render, as GET /api/v1/exports/iso20000/ASSESS-n).
func (s *Server) assessmentPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := ident.Assessment.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	if format := r.URL.Query().Get("format"); format != "" {
		return s.exportAssessment(w, r, ident.Assessment.Format(id), format)
	}
	a, err := s.store.GetAssessment(r.Context(), id)
	if err != nil {
		return err
	}
	d := assessmentData{A: a}
	for _, res := range a.Results {
		c := controlView{Result: res, More: max(len(res.Exceptions)-exceptionsShown, 0)}
		for _, e := range res.Exceptions[:min(len(res.Exceptions), exceptionsShown)] {
			c.Shown = append(c.Shown, exceptionView{Record: e.Record, Href: recordHref(e.Record), Reason: e.Reason})
		}
		d.Controls = append(d.Controls, c)
	}
	return s.render(w, r, v, http.StatusOK, "reports_assessment.html", a.ID+" control assessment", &d)
}

func (s *Server) exportAssessment(w http.ResponseWriter, r *http.Request, record, format string) error {
	if err := export.CheckFormat(format); err != nil {
		return err
	}
	doc, err := s.store.ExportDocument(r.Context(), record)
	if err != nil {
		return err
	}
	b, err := export.Render(&doc, format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", export.ContentType(format))
	w.Header().Set("Content-Disposition", `attachment; filename="`+doc.Record+"."+format+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

// recordPages are the record kinds that have a page, by id prefix.
var recordPages = map[string]string{"PRB": "/problems/", "REL": "/releases/", "DEP": "/deployments/"}

// recordHref is the page of record id ("" when its kind has no page: CHG-n,
// APR-n, an audit event).
func recordHref(id string) string {
	k, ok := ident.KindOf(id)
	if !ok {
		return ""
	}
	if base, ok := recordPages[k.Prefix]; ok {
		return base + id
	}
	return ""
}

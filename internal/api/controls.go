package api

import (
	"net/http"

	"fixgate/internal/auth"
	"fixgate/internal/control"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// assessors may run and read control assessments.
var assessors = []auth.Role{auth.Auditor, auth.Admin}

// assessIn asks for a control assessment of a period: YYYY, YYYY-Qn or YYYY-MM.
type assessIn struct {
	Period string `json:"period"`
}

// assessControls runs every control over the period and stores the
// assessment (ASSESS-n); 201 with it, passing or not.
func (s *Server) assessControls(w http.ResponseWriter, r *http.Request, c *call) error {
	var in assessIn
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := control.ParsePeriod(in.Period)
	if err != nil {
		return err
	}
	a, err := s.store.AssessControls(r.Context(), c.actor, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) getAssessment(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Assessment, s.store.GetAssessment, func(store.Assessment) int64 { return 1 })
}

// listAssessments lists assessments newest first, of one period when ?period= is set.
func (s *Server) listAssessments(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := pageLimitOnly(r)
	if err != nil {
		return err
	}
	period := r.URL.Query().Get("period")
	if period != "" {
		p, err := control.ParsePeriod(period)
		if err != nil {
			return err
		}
		period = p.Name
	}
	items, err := s.store.ListAssessments(r.Context(), period, pg.Limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[store.Assessment]{Items: items})
}

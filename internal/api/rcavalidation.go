package api

import (
	"net/http"

	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

// rcaValidationIn confirms a problem's current root cause analysis.
// Revision (or If-Match), when given, must be the problem's current
// revision: the validator confirms the analysis they read.
type rcaValidationIn struct {
	Comment  string `json:"comment"`
	Revision int64  `json:"revision"`
}

// validateRCA records that the caller (a problem_manager) validated the
// problem's current RCA, with their comment (stored with the role they
// acted in, and audited). The author of the RCA is refused (403): nobody
// validates their own analysis, whatever roles they hold.
func (s *Server) validateRCA(w http.ResponseWriter, r *http.Request, c *call) error {
	var in rcaValidationIn
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	return answerUpdate(w, r, ident.Problem, in.Revision, false, http.StatusOK, func(id, rev int64) (problem.Problem, error) {
		p, _, err := s.store.ValidateRCA(r.Context(), c.actor, id, rev, in.Comment)
		return p, err
	}, func(x problem.Problem) int64 { return x.Revision })
}

type rcaValidationOut = store.RCAValidation

// listRCAValidations answers the validations of a problem's RCA, oldest first.
func (s *Server) listRCAValidations(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.store.GetProblem(r.Context(), id); err != nil {
		return err
	}
	items, err := s.store.RCAValidations(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[rcaValidationOut]{Items: items})
}

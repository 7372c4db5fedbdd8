package api

import (
	"net/http"

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
// problem's current RCA. The author of the RCA is refused (403): nobody
// validates their own analysis, whatever roles they hold.
func (s *Server) validateRCA(w http.ResponseWriter, r *http.Request, c *call) error {
	var in rcaValidationIn
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	return s.updateProblem(w, r, c, in.Revision, false, "problem.validate_rca", func(p *problem.Problem, pc store.ProblemContext) error {
		return p.ValidateRCA(c.principal.User, pc.Now)
	})
}

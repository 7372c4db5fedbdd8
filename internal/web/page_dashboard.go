package web

import "net/http"

// dashboard shows what needs attention at a glance.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.render(w, r, v, http.StatusOK, "dashboard.html", "Dashboard", nil)
}

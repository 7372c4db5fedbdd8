package api

import (
	"net/http"

	"fixgate/internal/store"
)

type health struct {
	Status string `json:"status"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *call) error {
	return writeJSON(w, http.StatusOK, health{Status: "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ *call) error {
	if err := s.store.Ping(r.Context()); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, health{Status: "ready"})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *call) error {
	return writeJSON(w, http.StatusOK, c.principal)
}

var _ store.Page

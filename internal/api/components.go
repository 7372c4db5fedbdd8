package api

import (
	"net/http"

	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type componentOut = ci.Version

type componentCreate struct {
	CI           string          `json:"ci"`
	Version      string          `json:"version"`
	Digest       string          `json:"digest"`
	Dependencies []ci.Dependency `json:"dependencies"`
}

func (s *Server) createComponent(w http.ResponseWriter, r *http.Request, c *call) error {
	var in componentCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := s.store.CreateComponent(r.Context(), c.actor, ci.Version{CI: in.CI, Version: in.Version, Digest: in.Digest,
		Dependencies: in.Dependencies})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, v, v.Revision)
}

func (s *Server) listComponents(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ComponentFilter{Page: pg, CI: q.Get("ci"), Status: q.Get("status")}
	if f.Status != "" && !ci.VersionMachine.Known(f.Status) {
		return fault.Field("status", "unknown component version state %q", f.Status)
	}
	items, err := s.store.ListComponents(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Component, func(x ci.Version) string { return x.ID })
}

func (s *Server) getComponent(w http.ResponseWriter, r *http.Request, c *call) error {
	v, err := s.store.GetComponent(r.Context(), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, v, v.Revision)
}

func (s *Server) moveComponent(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	v, err := s.store.MoveComponent(r.Context(), c.actor, r.PathValue("ref"), rev, in.To)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, v, v.Revision)
}

type componentPatch struct {
	Digest       *string          `json:"digest"`
	Dependencies *[]ci.Dependency `json:"dependencies"`
	Revision     int64            `json:"revision"`
}

func (s *Server) patchComponent(w http.ResponseWriter, r *http.Request, c *call) error {
	var in componentPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := requireIfMatch(r, in.Revision)
	if err != nil {
		return err
	}
	v, err := s.store.UpdateComponent(r.Context(), c.actor, r.PathValue("ref"), rev, func(v *ci.Version) error {
		setIf(&v.Digest, in.Digest)
		setIf(&v.Dependencies, in.Dependencies)
		return nil
	})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, v, v.Revision)
}

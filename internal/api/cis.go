package api

import (
	"net/http"

	"fixgate/internal/ci"
)

type ciOut = ci.CI

type ciCreate struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Owner       string   `json:"owner"`
	Criticality string   `json:"criticality"`
	Description string   `json:"description"`
	DependsOn   []string `json:"depends_on"`
}

type ciPatch struct {
	Kind        *string   `json:"kind"`
	Owner       *string   `json:"owner"`
	Criticality *string   `json:"criticality"`
	Description *string   `json:"description"`
	DependsOn   *[]string `json:"depends_on"`
	Revision    int64     `json:"revision"`
}

func (s *Server) createCI(w http.ResponseWriter, r *http.Request, c *call) error {
	var in ciCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateCI(r.Context(), c.actor, ci.CI{Name: in.Name, Kind: in.Kind, Owner: in.Owner,
		Criticality: in.Criticality, Description: in.Description, DependsOn: in.DependsOn})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listCIs(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := namePage(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListCIs(r.Context(), r.URL.Query().Get("kind"), after, limit)
	if err != nil {
		return err
	}
	out := List[ci.CI]{Items: items}
	if len(items) > 0 {
		out.NextCursor = nextNameCursor(len(items), limit, items[len(items)-1].Name)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCI(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.store.GetCI(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

func (s *Server) patchCI(w http.ResponseWriter, r *http.Request, c *call) error {
	var in ciPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := requireIfMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.UpdateCI(r.Context(), c.actor, r.PathValue("name"), rev, func(x *ci.CI) error {
		setIf(&x.Kind, in.Kind)
		setIf(&x.Owner, in.Owner)
		setIf(&x.Criticality, in.Criticality)
		setIf(&x.Description, in.Description)
		setIf(&x.DependsOn, in.DependsOn)
		return nil
	})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// setIf sets *dst to *src when a patch carries the field.
func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

package api

import (
	"net/http"

	"fixgate/internal/environment"
)

type envOut = environment.Environment

type envCreate struct {
	Name    string               `json:"name"`
	Tier    string               `json:"tier"`
	Tags    []string             `json:"tags"`
	Windows []environment.Window `json:"windows"`
	Freezes []environment.Freeze `json:"freezes"`
	Driver  string               `json:"driver"`
}

type envPatch struct {
	Tier     *string               `json:"tier"`
	Tags     *[]string             `json:"tags"`
	Windows  *[]environment.Window `json:"windows"`
	Freezes  *[]environment.Freeze `json:"freezes"`
	Driver   *string               `json:"driver"`
	Revision int64                 `json:"revision"`
}

func (s *Server) createEnv(w http.ResponseWriter, r *http.Request, c *call) error {
	var in envCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateEnvironment(r.Context(), c.actor, environment.Environment{Name: in.Name, Tier: in.Tier,
		Tags: in.Tags, Windows: in.Windows, Freezes: in.Freezes, Driver: in.Driver})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listEnvs(w http.ResponseWriter, r *http.Request, c *call) error {
	after, limit, err := namePage(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListEnvironments(r.Context(), r.URL.Query().Get("tier"), after, limit)
	if err != nil {
		return err
	}
	out := List[environment.Environment]{Items: items}
	if len(items) > 0 {
		out.NextCursor = nextNameCursor(len(items), limit, items[len(items)-1].Name)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getEnv(w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.store.GetEnvironment(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

func (s *Server) patchEnv(w http.ResponseWriter, r *http.Request, c *call) error {
	var in envPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := requireIfMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.UpdateEnvironment(r.Context(), c.actor, r.PathValue("name"), rev, func(e *environment.Environment) error {
		setIf(&e.Tier, in.Tier)
		setIf(&e.Tags, in.Tags)
		setIf(&e.Windows, in.Windows)
		setIf(&e.Freezes, in.Freezes)
		setIf(&e.Driver, in.Driver)
		return nil
	})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

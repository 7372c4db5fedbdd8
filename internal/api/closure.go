package api

import (
	"net/http"

	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type closeIn struct {
	Comment  string `json:"comment"`
	Revision int64  `json:"revision"`
}

type confirmIn struct {
	Comment string `json:"comment"`
}

type confirmationOut = store.Confirmation

type closureOut = store.ClosureCheck

// closeProblem closes a resolved problem once every closure condition
// holds; otherwise 412 naming every missing condition (extension "missing").
func (s *Server) closeProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	var in closeIn
	if err := decode(r, &in); err != nil {
		return err
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	p, err := s.store.CloseProblem(r.Context(), c.actor, id, rev, in.Comment)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, p, p.Revision)
}

func (s *Server) confirmProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	var in confirmIn
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.ConfirmFix(r.Context(), c.actor, id, in.Comment)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listConfirmations(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	items, err := s.store.ListConfirmations(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[confirmationOut]{Items: items})
}

func (s *Server) problemClosure(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	out, err := s.store.CheckClosure(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) readyToClose(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ReadyToClose(r.Context(), pg)
	if err != nil {
		return err
	}
	out := List[problemOut]{Items: items}
	if len(items) > 0 {
		last, _ := ident.Problem.Parse("id", items[len(items)-1].ID)
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}

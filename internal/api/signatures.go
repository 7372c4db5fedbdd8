package api

import (
	"net/http"

	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type signatureOut = store.Signature

type signatureIn struct {
	Matcher string `json:"matcher"`
}

func (s *Server) addSignature(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	var in signatureIn
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := s.store.AddSignature(r.Context(), c.actor, id, in.Matcher)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, g)
}

func (s *Server) listSignatures(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	items, err := s.store.ListSignatures(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[signatureOut]{Items: items})
}

func (s *Server) removeSignature(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	sig, err := ident.Signature.Parse("sig", r.PathValue("sig"))
	if err != nil {
		return err
	}
	g, err := s.store.RemoveSignature(r.Context(), c.actor, id, sig)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, g)
}

package api

import (
	"net/http"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/pir"
	"fixgate/internal/store"
)

type pirOut = pir.PIR

type pirCreate struct {
	Problem             string             `json:"problem"`
	Release             string             `json:"release"`
	RootCauseEliminated *bool              `json:"root_cause_eliminated"`
	KPIs                map[string]float64 `json:"kpis"`
	Findings            string             `json:"findings"`
	Checklist           []string           `json:"checklist"`
	FindingTags         []string           `json:"finding_tags"` // root cause categories of the policy
}

type pirPatch struct {
	Release             *string             `json:"release"` // "" unlinks
	RootCauseEliminated *bool               `json:"root_cause_eliminated"`
	KPIs                *map[string]float64 `json:"kpis"` // replaces the map
	Findings            *string             `json:"findings"`
	Checklist           *[]string           `json:"checklist"`    // replaces the list
	FindingTags         *[]string           `json:"finding_tags"` // replaces the list; root cause categories of the policy
	Revision            int64               `json:"revision"`
}

func (s *Server) createPIR(w http.ResponseWriter, r *http.Request, c *call) error {
	var in pirCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	p := pir.PIR{Problem: in.Problem, Release: in.Release,
		RootCauseEliminated: in.RootCauseEliminated, KPIs: in.KPIs, Findings: in.Findings, Checklist: in.Checklist}
	if err := s.setFindingTags(r, &p, in.FindingTags); err != nil {
		return err
	}
	out, err := s.store.CreatePIR(r.Context(), c.actor, p)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listPIRs(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	f := store.PIRFilter{Page: pg, Status: r.URL.Query().Get("status")}
	if f.Status != "" && !pir.Machine.Known(f.Status) {
		return fault.Field("status", "unknown review state %q", f.Status)
	}
	if f.Problem, err = queryID(r, "problem", ident.Problem); err != nil {
		return err
	}
	if f.Release, err = queryID(r, "release", ident.Release); err != nil {
		return err
	}
	items, err := s.store.ListPIRs(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[pir.PIR]{Items: items}
	if len(items) > 0 {
		last, _ := ident.PIR.Parse("id", items[len(items)-1].ID)
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPIR(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.PIR, s.store.GetPIR, func(x pir.PIR) int64 { return x.Revision })
}

func (s *Server) patchPIR(w http.ResponseWriter, r *http.Request, c *call) error {
	var in pirPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	var categories []string
	if in.FindingTags != nil {
		ap, err := s.currentPolicy(r.Context())
		if err != nil {
			return err
		}
		categories = ap.pol.RootCauseCategories
	}
	return s.updatePIR(w, r, c, in.Revision, true, "pir.update", func(p *pir.PIR, _ store.PIRContext) error {
		if err := p.Editable(); err != nil {
			return err
		}
		if in.FindingTags != nil {
			if err := p.SetFindingTags(*in.FindingTags, categories); err != nil {
				return err
			}
		}
		setIf(&p.Release, in.Release)
		if in.RootCauseEliminated != nil {
			p.RootCauseEliminated = in.RootCauseEliminated
		}
		setIf(&p.KPIs, in.KPIs)
		setIf(&p.Findings, in.Findings)
		setIf(&p.Checklist, in.Checklist)
		return nil
	})
}

func (s *Server) movePIR(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	return s.updatePIR(w, r, c, in.Revision, false, "pir.move", func(p *pir.PIR, pc store.PIRContext) error {
		return p.Move(in.To, c.principal.User, pc.Now)
	})
}

// updatePIR runs fn on the review named in the path, guarded by the
// revision the caller read (required when strict).
func (s *Server) updatePIR(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*pir.PIR, store.PIRContext) error) error {
	return answerUpdate(w, r, ident.PIR, bodyRev, strict, http.StatusOK, func(id, rev int64) (pir.PIR, error) {
		return s.store.UpdatePIR(r.Context(), c.actor, id, rev, action, fn)
	}, func(x pir.PIR) int64 { return x.Revision })
}

// setFindingTags sets tags on p when any are given, checked against the
// root cause categories of the policy in force (pir.SetFindingTags).
func (s *Server) setFindingTags(r *http.Request, p *pir.PIR, tags []string) error {
	if len(tags) == 0 {
		return nil
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	return p.SetFindingTags(tags, ap.pol.RootCauseCategories)
}

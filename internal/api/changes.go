package api

import (
	"net/http"
	"slices"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type changeOut = change.Change

type changeCreate struct {
	Title        string     `json:"title"`
	Type         string     `json:"type"`
	Release      string     `json:"release"`
	Env          string     `json:"env"`
	ChangeModel  string     `json:"change_model"`
	RiskClass    string     `json:"risk_class"`
	PlannedStart *time.Time `json:"planned_start"`
	PlannedEnd   *time.Time `json:"planned_end"`
}

type changePatch struct {
	Title        *string    `json:"title"`
	Type         *string    `json:"type"`
	Release      *string    `json:"release"`
	Env          *string    `json:"env"`
	ChangeModel  *string    `json:"change_model"`
	RiskClass    *string    `json:"risk_class"`
	PlannedStart *time.Time `json:"planned_start"`
	PlannedEnd   *time.Time `json:"planned_end"`
	Revision     int64      `json:"revision"`
}

type deviationIn struct {
	StepSkipped string `json:"step_skipped"`
	Reason      string `json:"reason"`
	ApprovedBy  string `json:"approved_by"`
	Revision    int64  `json:"revision"`
}

// pipelineChangeMoves are the change states a pipeline may report.
var pipelineChangeMoves = []string{change.Implement, change.Review, change.Failed}

func (s *Server) createChange(w http.ResponseWriter, r *http.Request, c *call) error {
	var in changeCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateChange(r.Context(), c.actor, change.Change{Title: in.Title, Type: in.Type, Release: in.Release,
		Env: in.Env, ChangeModel: in.ChangeModel, RiskClass: in.RiskClass, PlannedStart: in.PlannedStart, PlannedEnd: in.PlannedEnd})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listChanges(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ChangeFilter{Page: pg, Status: q.Get("status"), Type: q.Get("type"), Env: q.Get("env")}
	if f.Status != "" && !change.Machine.Known(f.Status) {
		return fault.Field("status", "unknown change state %q", f.Status)
	}
	if f.Type != "" && !slices.Contains(change.Types, f.Type) {
		return fault.Field("type", "unknown change type %q", f.Type)
	}
	if v := q.Get("release"); v != "" {
		if f.Release, err = ident.Release.Parse("release", v); err != nil {
			return err
		}
	}
	items, err := s.store.ListChanges(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[change.Change]{Items: items}
	if len(items) > 0 {
		last, _ := ident.Change.Parse("id", items[len(items)-1].ID)
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getChange(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Change, s.store.GetChange, func(x change.Change) int64 { return x.Revision })
}

func (s *Server) patchChange(w http.ResponseWriter, r *http.Request, c *call) error {
	var in changePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateChange(w, r, c, in.Revision, true, "change.update", func(x *change.Change, _ store.ChangeContext) error {
		before := *x
		setIf(&x.Title, in.Title)
		setIf(&x.Type, in.Type)
		setIf(&x.Release, in.Release)
		setIf(&x.Env, in.Env)
		setIf(&x.ChangeModel, in.ChangeModel)
		setIf(&x.RiskClass, in.RiskClass)
		if in.PlannedStart != nil {
			x.PlannedStart = in.PlannedStart
		}
		if in.PlannedEnd != nil {
			x.PlannedEnd = in.PlannedEnd
		}
		return x.CheckEdit(before)
	})
}

// moveChange moves a change through its lifecycle. A caller acting only as
// a pipeline may report implement, review and failed, nothing else.
func (s *Server) moveChange(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	manager := c.principal.Has(auth.ReleaseManager) || c.principal.Has(auth.Admin)
	if !manager && !slices.Contains(pipelineChangeMoves, in.To) {
		return s.denied(r, c, fault.Forbiddenf("a pipeline may move a change only to implement, review or failed; %s needs a release manager", in.To))
	}
	return s.updateChange(w, r, c, in.Revision, false, "change.move", func(x *change.Change, _ store.ChangeContext) error {
		return x.Move(in.To)
	})
}

func (s *Server) addDeviation(w http.ResponseWriter, r *http.Request, c *call) error {
	var in deviationIn
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateChange(w, r, c, in.Revision, false, "change.deviation", func(x *change.Change, cc store.ChangeContext) error {
		return x.AddDeviation(in.StepSkipped, in.Reason, in.ApprovedBy, cc.Now)
	})
}

func (s *Server) updateChange(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*change.Change, store.ChangeContext) error) error {
	return answerUpdate(w, r, ident.Change, bodyRev, strict, http.StatusOK, func(id, rev int64) (change.Change, error) {
		return s.store.UpdateChange(r.Context(), c.actor, id, rev, action, fn)
	}, func(x change.Change) int64 { return x.Revision })
}

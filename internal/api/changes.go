package api

import (
	"net/http"
	"slices"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

type changeOut = change.Change

type changeCreate struct {
	Title       string `json:"title"`
	Type        string `json:"type"`
	Release     string `json:"release"`
	Env         string `json:"env"`
	ChangeModel string `json:"change_model"`
	// RiskClass set by hand before assessment needs RiskJustification;
	// moving the change to assess computes the policy's class.
	RiskClass         string     `json:"risk_class"`
	RiskJustification string     `json:"risk_justification"`
	PlannedStart      *time.Time `json:"planned_start"`
	PlannedEnd        *time.Time `json:"planned_end"`
}

type changePatch struct {
	Title       *string `json:"title"`
	Type        *string `json:"type"`
	Release     *string `json:"release"`
	Env         *string `json:"env"`
	ChangeModel *string `json:"change_model"`
	// RiskClass overrides the computed class; a class other than
	// risk_computed needs RiskJustification (audited as change.risk_override).
	RiskClass         *string    `json:"risk_class"`
	RiskJustification *string    `json:"risk_justification"`
	PlannedStart      *time.Time `json:"planned_start"`
	PlannedEnd        *time.Time `json:"planned_end"`
	Revision          int64      `json:"revision"`
}

// deviationIn records a deviation; From and To (RFC 3339, optional) bound
// the period it covers, [from, to).
type deviationIn struct {
	StepSkipped string     `json:"step_skipped"`
	Reason      string     `json:"reason"`
	ApprovedBy  string     `json:"approved_by"`
	From        *time.Time `json:"from"`
	To          *time.Time `json:"to"`
	Revision    int64      `json:"revision"`
}

// pipelineChangeMoves are the change states a pipeline may report.
var pipelineChangeMoves = []string{change.Implement, change.Review, change.Failed}

func (s *Server) createChange(w http.ResponseWriter, r *http.Request, c *call) error {
	var in changeCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	x := change.Change{Title: in.Title, Type: in.Type, Release: in.Release,
		Env: in.Env, ChangeModel: in.ChangeModel, PlannedStart: in.PlannedStart, PlannedEnd: in.PlannedEnd}
	models, err := s.changeModels(r)
	if err != nil {
		return err
	}
	if err := x.UseModel(models); err != nil {
		return err
	}
	if in.RiskClass != "" {
		if err := x.OverrideRisk(in.RiskClass, in.RiskJustification, c.principal.User); err != nil {
			return err
		}
	} else if in.RiskJustification != "" {
		return fault.Field("risk_justification", "is given with risk_class")
	}
	out, err := s.store.CreateChange(r.Context(), c.actor, x)
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
	return answerList(w, items, pg, ident.Change, func(x change.Change) string { return x.ID })
}

func (s *Server) getChange(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.Change, s.store.GetChange, func(x change.Change) int64 { return x.Revision })
}

func (s *Server) patchChange(w http.ResponseWriter, r *http.Request, c *call) error {
	var in changePatch
	if err := decode(r, &in); err != nil {
		return err
	}
	action := "change.update"
	if in.RiskClass != nil {
		action = "change.risk_override"
	} else if in.RiskJustification != nil {
		return fault.Field("risk_justification", "is given with risk_class")
	}
	models, err := s.changeModels(r)
	if err != nil {
		return err
	}
	return s.updateChange(w, r, c, in.Revision, true, action, func(x *change.Change, _ store.ChangeContext) error {
		before := *x
		setIf(&x.Title, in.Title)
		setIf(&x.Type, in.Type)
		setIf(&x.Release, in.Release)
		setIf(&x.Env, in.Env)
		setIf(&x.ChangeModel, in.ChangeModel)
		if in.ChangeModel != nil {
			if err := x.UseModel(models); err != nil {
				return err
			}
		}
		if in.RiskClass != nil {
			just := ""
			setIf(&just, in.RiskJustification)
			if err := x.OverrideRisk(*in.RiskClass, just, c.principal.User); err != nil {
				return err
			}
		}
		if in.PlannedStart != nil {
			x.PlannedStart = in.PlannedStart
		}
		if in.PlannedEnd != nil {
			x.PlannedEnd = in.PlannedEnd
		}
		return x.CheckEdit(before)
	})
}

// changeModels maps the change models of the policy in force to their
// default change type.
func (s *Server) changeModels(r *http.Request) (map[string]string, error) {
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(ap.pol.ChangeModels))
	for name, m := range ap.pol.ChangeModels {
		out[name] = m.DefaultChangeType
	}
	return out, nil
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
	if in.To == change.Scheduled { // the store judges the approvals with the stored policy: make sure the start policy is stored
		if _, err := s.currentPolicy(r.Context()); err != nil {
			return err
		}
	}
	computed := ""
	if in.To == change.Assess || in.To == change.Authorize { // authorisation relies on a current class
		var err error
		if computed, err = s.changeRisk(r, c); err != nil {
			return err
		}
	}
	return s.updateChange(w, r, c, in.Revision, false, "change.move", func(x *change.Change, _ store.ChangeContext) error {
		if computed != "" {
			x.SetComputedRisk(computed)
		}
		return x.Move(in.To)
	})
}

// changeRisk computes the risk class of the change named by the path with
// the policy in force, from the gate's own input: the release's problems
// (priority), its CIs (criticality), the environment's tier, the change
// type and the release size. Without a release and environment only the
// change type is known.
func (s *Server) changeRisk(r *http.Request, c *call) (string, error) {
	id, err := ident.Change.Parse("id", r.PathValue("id"))
	if err != nil {
		return "", err
	}
	x, err := s.store.GetChange(r.Context(), id)
	if err != nil {
		return "", err
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return "", err
	}
	var in gate.Input
	if x.Release != "" && x.Env != "" {
		rel, err := ident.Release.Parse("release", x.Release)
		if err != nil {
			return "", err
		}
		if in, _, err = s.store.GateInput(r.Context(), store.GateQuery{Release: rel, Env: x.Env, At: s.store.Now()}, ap.pol); err != nil {
			return "", err
		}
	}
	in.Change = &gate.Change{ID: x.ID, Type: x.Type, Model: x.ChangeModel, Requester: x.RequestedBy, Revision: x.Revision}
	class, _, err := gate.ComputeRisk(ap.pol, in)
	if err != nil {
		return "", fault.New(fault.PreconditionFailed, "the policy's risk rules cannot classify %s: %v", x.ID, err).Because(err)
	}
	return class, nil
}

func (s *Server) addDeviation(w http.ResponseWriter, r *http.Request, c *call) error {
	var in deviationIn
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateChange(w, r, c, in.Revision, false, "change.deviation", func(x *change.Change, cc store.ChangeContext) error {
		return x.AddBoundedDeviation(in.StepSkipped, in.Reason, in.ApprovedBy, in.From, in.To, cc.Now)
	})
}

func (s *Server) updateChange(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*change.Change, store.ChangeContext) error) error {
	return answerUpdate(w, r, ident.Change, bodyRev, strict, http.StatusOK, func(id, rev int64) (change.Change, error) {
		return s.store.UpdateChange(r.Context(), c.actor, id, rev, action, fn)
	}, func(x change.Change) int64 { return x.Revision })
}

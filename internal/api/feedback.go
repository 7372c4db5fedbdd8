package api

import (
	"net/http"
	"slices"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// refreshPIRKPIs recomputes the computed KPIs of a draft review (incidents
// before and after the fix over equal windows); other KPIs are kept. An
// If-Match header is checked when sent.
func (s *Server) refreshPIRKPIs(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.PIR.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	rev, err := ifMatch(r, 0)
	if err != nil {
		return err
	}
	out, err := s.store.RefreshPIRKPIs(r.Context(), c.actor, id, rev)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// changeModelChecklistOut is a change model's refined checklist.
type changeModelChecklistOut struct {
	Model     string                `json:"model"`
	InPolicy  bool                  `json:"in_policy"` // the policy in force defines the model
	Policy    []string              `json:"policy"`    // the policy's checklist for the model
	Added     []store.ChecklistItem `json:"added"`     // items added by completed reviews, oldest first
	Checklist []string              `json:"checklist"` // policy items, then added items not already in the policy
}

// changeModelChecklist answers the checklist a new change of the model
// gets: the policy's items plus those completed reviews added. A model
// neither in the policy nor refined by any review is 404.
func (s *Server) changeModelChecklist(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	if name == "" || len(name) > 200 {
		return fault.Field("name", "must name a change model")
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	out := changeModelChecklistOut{Model: name, Policy: []string{}}
	if ap != nil && ap.pol != nil {
		if m, ok := ap.pol.ChangeModels[name]; ok {
			out.InPolicy = true
			out.Policy = append(out.Policy, m.Checklist...)
		}
	}
	if out.Added, err = s.store.ChangeModelChecklist(r.Context(), name); err != nil {
		return err
	}
	if !out.InPolicy && len(out.Added) == 0 {
		return fault.NotFoundf("change model %q is not in the policy and has no checklist items from reviews", name)
	}
	out.Checklist = slices.Clone(out.Policy)
	for _, it := range out.Added {
		if !slices.Contains(out.Checklist, it.Item) {
			out.Checklist = append(out.Checklist, it.Item)
		}
	}
	return writeJSON(w, http.StatusOK, out)
}

package api

import (
	"net/http"

	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// A change's checklist: the items of its change model that apply to it,
// each ticked or not (store/change_checklist.go; gate rule checklist).

// checklistOut is a change's checklist with what is missing.
type checklistOut = change.Checklist

// checklistIn ticks (ticked: true) or unticks (false) one item. The tick
// is the caller's attestation, recorded under their name; evidence is an
// optional note or link. The change's revision is required (If-Match or
// "revision"): a checklist edited since it was read is refused with 412.
type checklistIn struct {
	Item     string `json:"item"`
	Ticked   *bool  `json:"ticked"`
	Evidence string `json:"evidence"`
	Revision int64  `json:"revision"`
}

// getChangeChecklist answers the change's checklist with what is missing;
// its ETag is the change's revision.
func (s *Server) getChangeChecklist(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Change.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	out, err := s.store.ChangeChecklist(r.Context(), id, ap.pol)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// editChangeChecklist ticks or unticks an item of the change's checklist
// and answers the checklist at the change's new revision.
func (s *Server) editChangeChecklist(w http.ResponseWriter, r *http.Request, c *call) error {
	var in checklistIn
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Ticked == nil {
		return fault.Field("ticked", "is required: true ticks the item, false withdraws the tick")
	}
	if !*in.Ticked && in.Evidence != "" {
		return fault.Field("evidence", "goes with a tick (ticked: true) only")
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	return answerUpdate(w, r, ident.Change, in.Revision, true, http.StatusOK, func(id, rev int64) (change.Checklist, error) {
		if *in.Ticked {
			return s.store.CheckChangeItem(r.Context(), c.actor, id, rev, in.Item, in.Evidence, ap.pol)
		}
		return s.store.UncheckChangeItem(r.Context(), c.actor, id, rev, in.Item, ap.pol)
	}, func(x change.Checklist) int64 { return x.Revision })
}

package api

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"fixgate/internal/fault"
	"fixgate/internal/store"
)

type deviationOut = store.DeviationRecord

// listDeviations reports the deviations recorded on changes: every one, or
// with ?kind=sod the separation-of-duties bypasses (an admin approving a
// fix despite a conflict), or ?step=NAME those skipping one step; with
// ?record=problem the deviations of problems (hand moves to resolved).
func (s *Server) listDeviations(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.DeviationFilter{Page: pg, Step: q.Get("step"), Record: q.Get("record")}
	if f.Record != "" && f.Record != "change" && f.Record != "problem" {
		return fault.Field("record", "must be change or problem")
	}
	switch q.Get("kind") {
	case "", "all":
	case "sod":
		if f.Step != "" && f.Step != store.DeviationSoD {
			return fault.Field("step", "contradicts kind=sod")
		}
		f.Step = store.DeviationSoD
	default:
		return fault.Field("kind", "must be sod or all")
	}
	items, next, err := s.store.ListDeviations(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[deviationOut]{Items: items}
	if next > 0 {
		out.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(next, 10)))
	}
	return writeJSON(w, http.StatusOK, out)
}

package web

import (
	"net/http"
	"strconv"
	"strings"

	"fixgate/internal/api"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// POST /changes/{id}/checklist/check and /uncheck: the tick and untick
// forms of the change page, through store.CheckChangeItem and
// UncheckChangeItem as POST /api/v1/changes/{id}/checklist, with the
// change's revision the page was rendered at as their ifRev. A tick is the
// signed-in person's attestation, recorded under their name with the
// evidence they give.

// tickForm is a posted tick or untick form.
type tickForm struct {
	Item     string
	Evidence string
	Revision int64
}

// readTick reads the form's item, evidence (ticks only) and revision
// (required: the person attests what they read).
func readTick(r *http.Request, tick bool) (tickForm, error) {
	if err := r.ParseForm(); err != nil {
		return tickForm{}, fault.Field("form", "cannot read the form: %v", err)
	}
	f := tickForm{Item: strings.TrimSpace(r.PostForm.Get("item")), Evidence: strings.TrimSpace(r.PostForm.Get("evidence"))}
	rev, err := strconv.ParseInt(r.PostForm.Get("revision"), 10, 64)
	if err != nil || rev < 1 {
		return f, fault.Field("revision", "the form carries no revision; reload the page")
	}
	f.Revision = rev
	if !tick && f.Evidence != "" {
		return f, fault.Field("evidence", "goes with a tick only")
	}
	return f, nil
}

// checklistEdit ticks (tick) or unticks an item of the change's checklist
// and redirects to the change page; a refusal answers the page as it
// stands now (checklistRefused).
func (s *Server) checklistEdit(tick bool) pageFunc {
	return func(w http.ResponseWriter, r *http.Request, v *visit) error {
		id, err := ident.Change.Parse("id", r.PathValue("id"))
		if err != nil {
			return err
		}
		f, err := readTick(r, tick)
		if err == nil {
			pol, _, perr := s.cfg.Policy(r.Context())
			if perr != nil {
				return perr
			}
			if tick {
				_, err = s.store.CheckChangeItem(r.Context(), v.actor, id, f.Revision, f.Item, f.Evidence, pol)
			} else {
				_, err = s.store.UncheckChangeItem(r.Context(), v.actor, id, f.Revision, f.Item, pol)
			}
		}
		if err != nil {
			return s.checklistRefused(w, r, v, id, f, err)
		}
		what := "Ticked "
		if !tick {
			what = "Withdrew the tick of "
		}
		return seeDone(w, r, "/changes/"+ident.Change.Format(id), what+strconv.Quote(f.Item)+" on "+ident.Change.Format(id))
	}
}

// checklistRefused answers a tick or untick the store refused: the change
// page as it stands now, with the form's evidence kept, the API's status,
// and for a stale form what changed in the change since its revision. A
// refusal by rule (separation of duties) is audited as the API audits it.
// Errors that are not the person's to fix get the error page.
func (s *Server) checklistRefused(w http.ResponseWriter, r *http.Request, v *visit, id int64, f tickForm, err error) error {
	if !personal(err) {
		return err
	}
	err = s.refused(r, v.actor, err)
	d, lerr := s.loadChange(r.Context(), v, id)
	if lerr != nil {
		return lerr
	}
	d.Form = f
	fe := fault.As(err)
	msg := fieldMessage(fe)
	if stale(err) {
		if d.Changed, lerr = s.changedSince(r.Context(), "change", d.Change.ID, f.Revision); lerr != nil {
			return lerr
		}
		msg = d.Change.ID + " changed since the page was loaded (revision " + strconv.FormatInt(f.Revision, 10) +
			", now " + strconv.FormatInt(d.Change.Revision, 10) + "): nothing was recorded; check its checklist and send the form again"
	}
	return s.renderView(w, r, v, api.StatusOf(err), "change.html", &view{Title: d.Change.ID + " " + d.Change.Title,
		Path: r.URL.Path, Data: d, Error: msg, Field: fe.Field})
}

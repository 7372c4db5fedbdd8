package api

import (
	"net/http"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
	"fixgate/internal/store"
)

type knownErrorOut = knownerror.KnownError

type knownErrorCreate struct {
	Title      string     `json:"title"`
	Symptoms   string     `json:"symptoms"`
	RootCause  string     `json:"root_cause"`
	Workaround string     `json:"workaround"`
	Problem    string     `json:"problem"`
	Labels     labels.Set `json:"labels"`
}

type knownErrorPatch struct {
	Title      *string     `json:"title"`
	Symptoms   *string     `json:"symptoms"`
	RootCause  *string     `json:"root_cause"`
	Workaround *string     `json:"workaround"`
	Problem    *string     `json:"problem"` // "" unlinks
	Labels     *labels.Set `json:"labels"`
	Revision   int64       `json:"revision"`
}

// outcomeIn appends one outcome to a known error's log.
type outcomeIn struct {
	Release    string     `json:"release"`
	Deployment string     `json:"deployment"`
	Outcome    string     `json:"outcome"` // fixed, recurred, rolled_back, inconclusive
	Note       string     `json:"note"`
	At         *time.Time `json:"at"`
	Revision   int64      `json:"revision"`
}

func (s *Server) createKnownError(w http.ResponseWriter, r *http.Request, c *call) error {
	var in knownErrorCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateKnownError(r.Context(), c.actor, knownerror.KnownError{Title: in.Title, Symptoms: in.Symptoms,
		RootCause: in.RootCause, Workaround: in.Workaround, Problem: in.Problem, Labels: in.Labels})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listKnownErrors(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.KnownErrorFilter{Page: pg, Status: q.Get("status"), Q: q.Get("q")}
	if f.Status != "" && !knownerror.Machine.Known(f.Status) {
		return fault.Field("status", "unknown known error state %q", f.Status)
	}
	if len(f.Q) > 200 {
		return fault.Field("q", "is longer than 200 characters")
	}
	if f.Problem, err = queryID(r, "problem", ident.Problem); err != nil {
		return err
	}
	if f.Labels, err = labels.ParseSet("label", q["label"]); err != nil {
		return err
	}
	items, err := s.store.ListKnownErrors(r.Context(), f)
	if err != nil {
		return err
	}
	out := List[knownerror.KnownError]{Items: items}
	if len(items) > 0 {
		last, _ := ident.KnownError.Parse("id", items[len(items)-1].ID)
		out.NextCursor = nextCursor(len(items), pg, last)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getKnownError(w http.ResponseWriter, r *http.Request, c *call) error {
	return answerGet(w, r, ident.KnownError, s.store.GetKnownError, func(x knownerror.KnownError) int64 { return x.Revision })
}

func (s *Server) patchKnownError(w http.ResponseWriter, r *http.Request, c *call) error {
	var in knownErrorPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateKnownError(w, r, c, in.Revision, true, http.StatusOK, "known_error.update",
		func(k *knownerror.KnownError, _ store.KnownErrorContext) error {
			setIf(&k.Title, in.Title)
			setIf(&k.Symptoms, in.Symptoms)
			setIf(&k.RootCause, in.RootCause)
			setIf(&k.Workaround, in.Workaround)
			setIf(&k.Problem, in.Problem)
			setIf(&k.Labels, in.Labels)
			return nil
		})
}

func (s *Server) moveKnownError(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	return s.updateKnownError(w, r, c, in.Revision, false, http.StatusOK, "known_error.move",
		func(k *knownerror.KnownError, _ store.KnownErrorContext) error { return k.Move(in.To) })
}

func (s *Server) addKnownErrorOutcome(w http.ResponseWriter, r *http.Request, c *call) error {
	var in outcomeIn
	if err := decode(r, &in); err != nil {
		return err
	}
	o := knownerror.Outcome{Release: in.Release, Deployment: in.Deployment, Outcome: in.Outcome, Note: in.Note}
	if in.At != nil {
		o.At = *in.At
	}
	return s.updateKnownError(w, r, c, in.Revision, false, http.StatusCreated, "known_error.outcome",
		func(k *knownerror.KnownError, kc store.KnownErrorContext) error {
			_, err := k.AddOutcome(o, kc.Now)
			return err
		})
}

// updateKnownError runs fn on the known error named in the path, guarded
// by the revision the caller read (required when strict).
func (s *Server) updateKnownError(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, status int, action string,
	fn func(*knownerror.KnownError, store.KnownErrorContext) error) error {
	return answerUpdate(w, r, ident.KnownError, bodyRev, strict, status, func(id, rev int64) (knownerror.KnownError, error) {
		return s.store.UpdateKnownError(r.Context(), c.actor, id, rev, action, fn)
	}, func(x knownerror.KnownError) int64 { return x.Revision })
}

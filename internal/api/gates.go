package api

import (
	"net/http"
	"strings"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// gateCallers may ask the gate. An evaluation is stored and audited, so it
// is a write: auditors read evaluations, they do not make them.
var gateCallers = []auth.Role{auth.Pipeline, auth.ReleaseManager, auth.CABMember, auth.ProblemManager, auth.Admin}

// gateIn asks whether release may be deployed to environment at a time
// (now when absent) along a path (default: the change model's rollout path,
// else one stage at 100%).
type gateIn struct {
	Release     string      `json:"release"`
	Environment string      `json:"environment"`
	At          *time.Time  `json:"at"`
	Path        []gateStage `json:"path"`
}

type gateStage struct {
	Name   string   `json:"name"`
	Weight int      `json:"weight"`
	Tags   []string `json:"tags"`
}

type gateEvaluationOut = store.GateEvaluation

// maxPathStages bounds a requested deployment path.
const maxPathStages = 20

func (in *gateIn) query() (store.GateQuery, error) {
	var q store.GateQuery
	if strings.TrimSpace(in.Release) == "" {
		return q, fault.Field("release", "is required (REL-n)")
	}
	rel, err := ident.Release.Parse("release", in.Release)
	if err != nil {
		return q, err
	}
	if err := ident.ValidName("environment", in.Environment); err != nil {
		return q, err
	}
	q.Release, q.Env = rel, in.Environment
	if len(in.Path) > maxPathStages {
		return q, fault.Field("path", "has %d stages; at most %d", len(in.Path), maxPathStages)
	}
	last := 0
	for i, st := range in.Path {
		if strings.TrimSpace(st.Name) == "" {
			return q, fault.Field("path", "stage %d: name is required", i+1)
		}
		if st.Weight < 1 || st.Weight > 100 || st.Weight < last {
			return q, fault.Field("path", "stage %d (%s): weight must be 1..100 and not below the previous stage's", i+1, st.Name)
		}
		last = st.Weight
		q.Path = append(q.Path, gate.Stage{Name: st.Name, Weight: st.Weight, Tags: st.Tags})
	}
	if len(in.Path) > 0 && last != 100 {
		return q, fault.Field("path", "the last stage must reach weight 100")
	}
	return q, nil
}

// evaluateGate decodes the question, has the store evaluate it against the
// policy in force (load the input, judge, record with its audit event) and
// answers the stored evaluation. A blocked or undecided verdict is still
// 200: the answer is in the body.
func (s *Server) evaluateGate(w http.ResponseWriter, r *http.Request, c *call) error {
	var in gateIn
	if err := decode(r, &in); err != nil {
		return err
	}
	q, err := in.query()
	if err != nil {
		return err
	}
	q.At = s.store.Now()
	if in.At != nil {
		q.At = in.At.UTC()
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	ev, err := s.store.EvaluateGate(r.Context(), c.actor, q, ap.pol, ap.stored.Version)
	if err != nil {
		return err
	}
	s.metrics.GateVerdict(ev.Decision)
	w.Header().Set("Location", "/api/v1/gates/evaluations/"+ev.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, ev)
}

func (s *Server) getGateEvaluation(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Gate.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	ev, err := s.store.GetGateEvaluation(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ev)
}

func (s *Server) listGateEvaluations(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.GateEvaluationFilter{Page: pg, Env: q.Get("env"), Decision: q.Get("decision")}
	if v := q.Get("release"); v != "" {
		if f.Release, err = ident.Release.Parse("release", v); err != nil {
			return err
		}
	}
	switch f.Decision {
	case "", gate.Allowed, gate.Blocked, gate.Undecided:
	default:
		return fault.Field("decision", "must be allowed, blocked or undecided")
	}
	items, err := s.store.ListGateEvaluations(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Gate, func(x gateEvaluationOut) string { return x.ID })
}

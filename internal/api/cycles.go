package api

import (
	"net/http"
	"time"

	"fixgate/internal/auth"
	"fixgate/internal/cycle"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// cycleRW may plan release cycles (roles declared in routes.go).
var cycleRW = []auth.Role{auth.ProblemManager, auth.ReleaseManager, auth.Admin}

type cycleOut = cycle.Cycle

type cycleCreate struct {
	Name   string    `json:"name"`
	Starts time.Time `json:"starts_at"`
	Ends   time.Time `json:"ends_at"`
	Envs   []string  `json:"envs"`
}

// cycleShow is a cycle with each targeted problem's state and releases.
type cycleShow struct {
	cycle.Cycle
	Targets []cycle.Target `json:"targets"`
}

type cycleAdd struct {
	Problem  string `json:"problem"`
	Revision int64  `json:"revision"`
}

// CyclePlan is the proposal of `fixgate cycle plan` (GET /api/v1/cycles/plan).
type CyclePlan struct {
	Since     time.Time        `json:"since"`
	Until     time.Time        `json:"until"`
	Proposals []cycle.Proposal `json:"proposals"`
	Bundles   []cycle.Bundle   `json:"bundles"`
}

func (s *Server) createCycle(w http.ResponseWriter, r *http.Request, c *call) error {
	var in cycleCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	out, err := s.store.CreateCycle(r.Context(), c.actor, cycle.Cycle{Name: in.Name, Starts: in.Starts, Ends: in.Ends, Envs: in.Envs})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, out, out.Revision)
}

func (s *Server) listCycles(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListCycles(r.Context(), pg)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Cycle, func(x cycle.Cycle) string { return x.ID })
}

// getCycle answers the cycle {id} (CYC-n or its name) with its targets.
func (s *Server) getCycle(w http.ResponseWriter, r *http.Request, c *call) error {
	cyc, targets, err := s.store.CycleTargets(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, cycleShow{cyc, targets}, cyc.Revision)
}

func (s *Server) addCycleProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in cycleAdd
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Problem == "" {
		return fault.Field("problem", "is required")
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	out, err := s.store.AddCycleProblem(r.Context(), c.actor, r.PathValue("id"), rev, in.Problem)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

func (s *Server) removeCycleProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	rev, err := ifMatch(r, 0)
	if err != nil {
		return err
	}
	out, err := s.store.RemoveCycleProblem(r.Context(), c.actor, r.PathValue("id"), rev, r.PathValue("problem"))
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, out, out.Revision)
}

// cyclePlan proposes the problems to target, ranked by recurrence over
// the window since (default 90d), and what bundling them into each open
// release would do to its risk class under the current policy.
func (s *Server) cyclePlan(w http.ResponseWriter, r *http.Request, c *call) error {
	since := r.URL.Query().Get("since")
	if since == "" {
		since = "90d"
	}
	window, err := cycle.ParseSince("since", since)
	if err != nil {
		return err
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	now := s.store.Now()
	facts, err := s.store.CyclePlanFacts(r.Context(), now.Add(-window))
	if err != nil {
		return err
	}
	props := cycle.Rank(facts.Problems, window)
	bundles, err := cycle.Bundles(ap.pol, props, facts.Releases, facts.CIs)
	if err != nil {
		return fault.New(fault.PreconditionFailed, "the policy's risk rules cannot classify the open releases: %v", err).Because(err)
	}
	return writeJSON(w, http.StatusOK, CyclePlan{Since: now.Add(-window).UTC(), Until: now.UTC(), Proposals: props, Bundles: bundles})
}

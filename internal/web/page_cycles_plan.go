package web

import (
	"net/http"
	"slices"
	"time"

	"fixgate/internal/cycle"
	"fixgate/internal/fault"
	"fixgate/internal/store"
)

// The cycle plan (GET /cycles/plan?since=90d&cycle=CYC-n): the problems to
// target, ranked by recurrence over the window, flagged "systemic fix over
// workaround", and what bundling them would do to each open release's risk
// class, computed as GET /api/v1/cycles/plan does (store.CyclePlanFacts,
// cycle.Rank, cycle.Bundles under the policy in force). With a cycle
// chosen, each proposal offers "target in CYC-n" (POST
// /cycles/{id}/problems, page_cycles_view.go), at the cycle's revision.

// planShown bounds the proposals listed (the plan ranks up to
// store.MaxPlanCandidates).
const planShown = 100

// maxPlanCycles bounds the cycles offered to target into.
const maxPlanCycles = 200

// cyclePlanData is what cycle_plan.html shows.
type cyclePlanData struct {
	Since     string
	From, To  time.Time
	Proposals []cycle.Proposal
	More      int // proposals not shown
	Bundles   []cycle.Bundle
	Cycles    []cycle.Cycle // cycles ending after now, to target into
	Cycle     *cycle.Cycle  // the cycle chosen (nil: none)
	CanTarget bool
}

// Targeted reports whether the chosen cycle targets problem id.
func (d *cyclePlanData) Targeted(id string) bool {
	return d.Cycle != nil && slices.Contains(d.Cycle.Problems, id)
}

func (s *Server) cyclePlan(w http.ResponseWriter, r *http.Request, v *visit) error {
	q := r.URL.Query()
	d := &cyclePlanData{Since: q.Get("since"), CanTarget: s.allows(v, "POST /cycles/{id}/problems")}
	if d.Since == "" {
		d.Since = "90d"
	}
	window, err := cycle.ParseSince("since", d.Since)
	if err != nil {
		return err
	}
	if err := s.planCycles(r, v, d, q.Get("cycle")); err != nil {
		return err
	}
	pol, _, err := s.cfg.Policy(r.Context())
	if err != nil {
		return err
	}
	d.To = v.now
	d.From = v.now.Add(-window)
	facts, err := s.store.CyclePlanFacts(r.Context(), d.From)
	if err != nil {
		return err
	}
	props := cycle.Rank(facts.Problems, window)
	if d.Bundles, err = cycle.Bundles(pol, props, facts.Releases, facts.CIs); err != nil {
		return fault.New(fault.PreconditionFailed, "the policy's risk rules cannot classify the open releases: %v", err).Because(err)
	}
	d.Proposals = props[:min(len(props), planShown)]
	d.More = len(props) - len(d.Proposals)
	return s.render(w, r, v, http.StatusOK, "cycle_plan.html", "Cycle plan", d)
}

// planCycles lists the cycles ending after now and loads the chosen one
// (ref: CYC-n or a name; "" for none).
func (s *Server) planCycles(r *http.Request, v *visit, d *cyclePlanData, ref string) error {
	all, err := s.store.ListCycles(r.Context(), store.Page{Limit: maxPlanCycles})
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.Ends.After(v.now) {
			d.Cycles = append(d.Cycles, c)
		}
	}
	if ref == "" {
		return nil
	}
	c, err := s.store.GetCycle(r.Context(), ref)
	if err != nil {
		return err
	}
	d.Cycle = &c
	return nil
}

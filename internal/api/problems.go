package api

import (
	"net/http"

	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
	"fixgate/internal/store"
)

type problemOut = problem.Problem

type problemCreate struct {
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Priority     int      `json:"priority"`
	Owner        string   `json:"owner"`
	CIs          []string `json:"cis"`
	Environments []string `json:"environments"`
	Workaround   string   `json:"workaround"`
	Incidents    []string `json:"incidents"`
}

type problemPatch struct {
	Title        *string   `json:"title"`
	Description  *string   `json:"description"`
	Priority     *int      `json:"priority"`
	Owner        *string   `json:"owner"`
	CIs          *[]string `json:"cis"`
	Environments *[]string `json:"environments"`
	Workaround   *string   `json:"workaround"`
	Revision     int64     `json:"revision"`
}

// transition asks for a lifecycle move; Revision (or If-Match) guards it.
type transition struct {
	To       string `json:"to"`
	Comment  string `json:"comment"`
	Revision int64  `json:"revision"`
}

// problemTransition asks for a problem lifecycle move. A move to resolved
// by hand carries Deviation (reason, approved_by: another problem_manager);
// the usual way to resolved is a problem-fix release succeeding in production.
type problemTransition struct {
	To        string              `json:"to"`
	Comment   string              `json:"comment"`
	Revision  int64               `json:"revision"`
	Deviation *problemDeviationIn `json:"deviation,omitempty"`
}

// problemDeviationIn documents a hand move to resolved.
type problemDeviationIn struct {
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
}

// rcaIn records an RCA. DocSHA256 absent keeps the document of the RCA it
// replaces; "" removes it; a digest attaches that document.
type rcaIn struct {
	Category  string  `json:"category"`
	Summary   string  `json:"summary"`
	DocSHA256 *string `json:"doc_sha256"`
	Revision  int64   `json:"revision"`
}

func (s *Server) createProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in problemCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	incs := make([]int64, 0, len(in.Incidents))
	for _, x := range in.Incidents {
		n, err := ident.Incident.Parse("incidents", x)
		if err != nil {
			return err
		}
		incs = append(incs, n)
	}
	p, err := s.store.CreateProblem(r.Context(), c.actor, problem.Problem{Title: in.Title, Description: in.Description,
		Priority: in.Priority, Owner: in.Owner, CIs: in.CIs, Environments: in.Environments, Workaround: in.Workaround}, incs)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, p, p.Revision)
}

func (s *Server) listProblems(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := store.ProblemFilter{Page: pg, Status: q.Get("status"), CI: q.Get("ci"), Env: q.Get("env")}
	if f.Status != "" && !problem.Machine.Known(f.Status) {
		return fault.Field("status", "unknown problem state %q", f.Status)
	}
	if f.Priority, err = queryInt(r, "priority", 1, 4); err != nil {
		return err
	}
	items, err := s.store.ListProblems(r.Context(), f)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, ident.Problem, func(x problem.Problem) string { return x.ID })
}

// getProblem answers one problem with its revision as the ETag.
func (s *Server) getProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	p, err := s.store.GetProblem(r.Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, p, p.Revision)
}

func (s *Server) patchProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in problemPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return s.updateProblem(w, r, c, in.Revision, true, "problem.update", func(p *problem.Problem, _ store.ProblemContext) error {
		setIf(&p.Title, in.Title)
		setIf(&p.Description, in.Description)
		setIf(&p.Priority, in.Priority)
		setIf(&p.Owner, in.Owner)
		setIf(&p.CIs, in.CIs)
		setIf(&p.Environments, in.Environments)
		setIf(&p.Workaround, in.Workaround)
		return nil
	})
}

func (s *Server) moveProblem(w http.ResponseWriter, r *http.Request, c *call) error {
	var in problemTransition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	if in.To == problem.Resolved {
		return s.resolveProblem(w, r, c, in)
	}
	if in.Deviation != nil {
		return fault.Field("deviation", "documents a hand move to resolved only")
	}
	pol, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	return s.updateProblem(w, r, c, in.Revision, false, "problem.move", func(p *problem.Problem, pc store.ProblemContext) error {
		return p.Move(in.To, c.principal.User, pc.Now, pol.pol.Observation(p.Priority))
	})
}

func (s *Server) putRCA(w http.ResponseWriter, r *http.Request, c *call) error {
	var in rcaIn
	if err := decode(r, &in); err != nil {
		return err
	}
	pol, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	return s.updateProblem(w, r, c, in.Revision, false, "problem.rca", func(p *problem.Problem, pc store.ProblemContext) error {
		doc := p.RCA.DocSHA256
		if in.DocSHA256 != nil {
			doc = *in.DocSHA256
		}
		return p.RecordRCA(in.Category, in.Summary, doc, c.principal.User, pc.Now, pol.pol.RootCauseCategories)
	})
}

// resolveProblem moves a problem to resolved by hand: only with a deviation
// approved by another problem_manager (store.ResolveProblem).
func (s *Server) resolveProblem(w http.ResponseWriter, r *http.Request, c *call, in problemTransition) error {
	var dev *problem.Deviation
	if in.Deviation != nil {
		dev = &problem.Deviation{Reason: in.Deviation.Reason, ApprovedBy: in.Deviation.ApprovedBy}
	}
	return answerUpdate(w, r, ident.Problem, in.Revision, false, http.StatusOK, func(id, rev int64) (problem.Problem, error) {
		return s.store.ResolveProblem(r.Context(), c.actor, id, rev, dev)
	}, func(x problem.Problem) int64 { return x.Revision })
}

// updateProblem runs fn on the problem named in the path, guarded by the
// revision the caller read (required when strict).
func (s *Server) updateProblem(w http.ResponseWriter, r *http.Request, c *call, bodyRev int64, strict bool, action string,
	fn func(*problem.Problem, store.ProblemContext) error) error {
	return answerUpdate(w, r, ident.Problem, bodyRev, strict, http.StatusOK, func(id, rev int64) (problem.Problem, error) {
		return s.store.UpdateProblem(r.Context(), c.actor, id, rev, action, fn)
	}, func(x problem.Problem) int64 { return x.Revision })
}

type problemResolutionOut = store.ProblemResolution

// listProblemResolutions answers how a problem was resolved, oldest first.
func (s *Server) listProblemResolutions(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := ident.Problem.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := s.store.GetProblem(r.Context(), id); err != nil {
		return err
	}
	items, err := s.store.ProblemResolutions(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, List[problemResolutionOut]{Items: items})
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/cycle"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

const cycleCols = `id, name, starts_at, ends_at, envs, rev, created_by, created_at, updated_at`

func scanCycle(sc interface{ Scan(...any) error }) (cycle.Cycle, int64, error) {
	var c cycle.Cycle
	var id int64
	err := sc.Scan(&id, &c.Name, timeCol{&c.Starts}, timeCol{&c.Ends}, jsonCol{&c.Envs}, &c.Revision, &c.CreatedBy,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.ID = ident.Cycle.Format(id)
	return c, id, err
}

// CreateCycle stores a new release cycle after c.Validate, with its audit
// event cycle.create. Returns Invalid naming "envs" for an unknown
// environment, Conflict when the name is taken.
func (s *Store) CreateCycle(ctx context.Context, a audit.Actor, c cycle.Cycle) (cycle.Cycle, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	c.Problems = []string{}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.requireNames(ctx, "envs", "environments", c.Envs); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM cycles WHERE name = $1`, c.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflictf("a cycle named %s exists already", c.Name)
		}
		c.Revision, c.CreatedBy, c.CreatedAt, c.UpdatedAt = 1, tx.actor.User, tx.now, tx.now
		id, err := tx.insertID(ctx, `INSERT INTO cycles (name, starts_at, ends_at, envs, rev, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.Name, ts(c.Starts), ts(c.Ends), jsonText(c.Envs), c.Revision, c.CreatedBy, ts(tx.now), ts(tx.now))
		if err != nil {
			return err
		}
		c.ID = ident.Cycle.Format(id)
		return tx.auditEvent(ctx, "cycle.create", "cycle", c.ID, c.Revision, nil, c)
	})
	return c, err
}

// GetCycle returns the cycle ref names (CYC-n or its name) with the
// problems it targets. Returns NotFound if there is none.
func (s *Store) GetCycle(ctx context.Context, ref string) (cycle.Cycle, error) {
	var c cycle.Cycle
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		c, _, err = tx.getCycle(ctx, ref)
		return err
	})
	return c, err
}

func (tx *Tx) getCycle(ctx context.Context, ref string) (cycle.Cycle, int64, error) {
	q, arg := `SELECT `+cycleCols+` FROM cycles WHERE name = $1`, any(ref)
	if k, ok := ident.KindOf(ref); ok && k == ident.Cycle {
		n, err := ident.Cycle.Parse("id", ref)
		if err != nil {
			return cycle.Cycle{}, 0, err
		}
		q, arg = `SELECT `+cycleCols+` FROM cycles WHERE id = $1`, n
	}
	c, id, err := scanCycle(tx.queryRow(ctx, q+tx.forUpdate(), arg))
	if errors.Is(err, sql.ErrNoRows) {
		return c, 0, fault.NotFoundf("cycle %s not found", ref)
	}
	if err != nil {
		return c, 0, err
	}
	c.Problems, err = scanAll(ctx, tx, `SELECT problem_id FROM cycle_problems WHERE cycle_id = $1 ORDER BY problem_id`,
		func(r *sql.Rows) (string, error) { var n int64; err := r.Scan(&n); return ident.Problem.Format(n), err }, id)
	if c.Problems == nil {
		c.Problems = []string{}
	}
	return c, id, err
}

// ListCycles returns the cycles in id order after p.After, at most p.Limit,
// without their problems (GetCycle has them).
func (s *Store) ListCycles(ctx context.Context, p Page) ([]cycle.Cycle, error) {
	p = p.Norm()
	var out []cycle.Cycle
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		out, err = scanAll(ctx, tx, `SELECT `+cycleCols+` FROM cycles WHERE id > $1 ORDER BY id LIMIT $2`,
			func(r *sql.Rows) (cycle.Cycle, error) { c, _, err := scanCycle(r); return c, err }, p.After, p.Limit)
		return err
	})
	for i := range out {
		out[i].Problems = []string{}
	}
	return out, err
}

// AddCycleProblem targets problem prb (PRB-n) in cycle ref, guarded by
// ifRev (0 skips the check), audited as cycle.add. Adding a problem already
// targeted changes nothing. Returns NotFound, PreconditionFailed on a stale
// revision, Invalid naming "problem" for an unknown problem.
func (s *Store) AddCycleProblem(ctx context.Context, a audit.Actor, ref string, ifRev int64, prb string) (cycle.Cycle, error) {
	return s.changeCycle(ctx, a, ref, ifRev, prb, "cycle.add", func(tx *Tx, c *cycle.Cycle, id, pid int64) (bool, error) {
		if !c.Add(ident.Problem.Format(pid)) {
			return false, nil
		}
		_, err := tx.exec(ctx, `INSERT INTO cycle_problems (cycle_id, problem_id, added_by, added_at) VALUES ($1, $2, $3, $4)`,
			id, pid, tx.actor.User, ts(tx.now))
		return true, err
	})
}

// RemoveCycleProblem stops targeting prb in cycle ref, guarded by ifRev,
// audited as cycle.remove. Returns NotFound when it is not targeted.
func (s *Store) RemoveCycleProblem(ctx context.Context, a audit.Actor, ref string, ifRev int64, prb string) (cycle.Cycle, error) {
	return s.changeCycle(ctx, a, ref, ifRev, prb, "cycle.remove", func(tx *Tx, c *cycle.Cycle, id, pid int64) (bool, error) {
		if err := c.Remove(ident.Problem.Format(pid)); err != nil {
			return false, err
		}
		_, err := tx.exec(ctx, `DELETE FROM cycle_problems WHERE cycle_id = $1 AND problem_id = $2`, id, pid)
		return true, err
	})
}

// changeCycle loads cycle ref, checks ifRev, applies fn and, when it
// changed something, saves the new revision (compare-and-set) with its
// audit event under action.
func (s *Store) changeCycle(ctx context.Context, a audit.Actor, ref string, ifRev int64, prb, action string,
	fn func(tx *Tx, c *cycle.Cycle, id, pid int64) (bool, error)) (cycle.Cycle, error) {
	pid, err := ident.Problem.Parse("problem", prb)
	if err != nil {
		return cycle.Cycle{}, err
	}
	var c cycle.Cycle
	err = s.write(ctx, a, func(tx *Tx) error {
		before, id, err := tx.getCycle(ctx, ref)
		if err != nil {
			return err
		}
		if err := checkRev("cycle "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM problems WHERE id = $1`, pid).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return fault.Field("problem", "problem %s does not exist", ident.Problem.Format(pid))
		}
		c = before
		c.Problems = append([]string{}, before.Problems...)
		changed, err := fn(tx, &c, id, pid)
		if err != nil || !changed {
			return err
		}
		c.Revision, c.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "cycle "+c.ID, before.Revision, `UPDATE cycles SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
			c.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, action, "cycle", c.ID, c.Revision, before, c)
	})
	return c, err
}

// CycleTargets returns each problem cycle ref targets with its state and
// the releases (not canceled) that resolve it, in problem id order.
func (s *Store) CycleTargets(ctx context.Context, ref string) (cycle.Cycle, []cycle.Target, error) {
	var c cycle.Cycle
	var out []cycle.Target
	err := s.read(ctx, func(tx *Tx) error {
		var id int64
		var err error
		if c, id, err = tx.getCycle(ctx, ref); err != nil {
			return err
		}
		out, err = tx.cycleTargets(ctx, id)
		return err
	})
	return c, out, err
}

func (tx *Tx) cycleTargets(ctx context.Context, id int64) ([]cycle.Target, error) {
	type row struct {
		t   cycle.Target
		rel sql.NullInt64
		r   cycle.TargetRelease
	}
	rows, err := scanAll(ctx, tx, `SELECT p.id, p.title, p.status, p.priority, r.id, COALESCE(r.version, ''), COALESCE(r.status, '')
		FROM cycle_problems cp JOIN problems p ON p.id = cp.problem_id
		LEFT JOIN release_problems rp ON rp.problem_id = p.id
		LEFT JOIN releases r ON r.id = rp.release_id AND r.status <> 'canceled'
		WHERE cp.cycle_id = $1 ORDER BY p.id, r.id`,
		func(r *sql.Rows) (row, error) {
			var x row
			var pid int64
			err := r.Scan(&pid, &x.t.Title, &x.t.Status, &x.t.Priority, &x.rel, &x.r.Version, &x.r.Status)
			x.t.Problem = ident.Problem.Format(pid)
			return x, err
		}, id)
	out := []cycle.Target{}
	for _, x := range rows {
		if len(out) == 0 || out[len(out)-1].Problem != x.t.Problem {
			x.t.Releases = []cycle.TargetRelease{}
			out = append(out, x.t)
		}
		if x.rel.Valid {
			x.r.ID = ident.Release.Format(x.rel.Int64)
			last := &out[len(out)-1]
			last.Releases = append(last.Releases, x.r)
		}
	}
	return out, err
}

// MaxPlanCandidates bounds the problems a cycle plan considers, and the
// open releases (the newest) it may propose bundling into.
const MaxPlanCandidates = 1000

// planOpenReleases selects the ids of the open (planned or approved)
// releases a plan considers: the newest MaxPlanCandidates ($1 of the
// statement that embeds it), through releases_status.
const planOpenReleases = `SELECT id, version, type FROM releases WHERE status IN ('planned', 'approved') ORDER BY id DESC LIMIT $1`

// PlanFacts are what a cycle plan is computed from.
type PlanFacts struct {
	Problems []cycle.Fact        // candidates: open problems with incidents since, or recurrences
	Releases []cycle.OpenRelease // planned or approved releases
	CIs      []gate.CI           // the criticality of those releases' CIs
}

// CyclePlanFacts loads the plan's facts with set-based, bounded queries:
// per open problem, the incidents matched since (count, worst severity,
// those after its first resolution) in one GROUP BY driven by the open
// problems; the open problems among them or with recurrences (at most MaxPlanCandidates); the
// cycles ending after now that target them; and the open releases.
func (s *Store) CyclePlanFacts(ctx context.Context, since time.Time) (PlanFacts, error) {
	var f PlanFacts
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		if f.Problems, err = tx.planProblems(ctx, since); err != nil {
			return err
		}
		if f.Releases, err = tx.planReleases(ctx); err != nil {
			return err
		}
		f.CIs, err = scanAll(ctx, tx, `WITH o AS (`+planOpenReleases+`)
			SELECT name, criticality FROM cis WHERE name IN (SELECT cv.ci FROM o JOIN release_components rc ON rc.release_id = o.id
			JOIN component_versions cv ON cv.id = rc.component_version_id) ORDER BY name`,
			func(r *sql.Rows) (gate.CI, error) {
				var c gate.CI
				err := r.Scan(&c.Name, &c.Criticality)
				return c, err
			}, MaxPlanCandidates)
		return err
	})
	return f, err
}

func (tx *Tx) planProblems(ctx context.Context, since time.Time) ([]cycle.Fact, error) {
	facts, err := scanAll(ctx, tx, `SELECT p.id, p.title, p.status, p.priority, p.cis_list, p.recurrence_count,
		CASE WHEN p.workaround <> '' OR EXISTS (SELECT 1 FROM known_errors k WHERE k.problem_id = p.id AND k.workaround <> '' AND k.status <> 'retired') THEN 1 ELSE 0 END,
		(SELECT COUNT(*) FROM release_problems rp JOIN releases r ON r.id = rp.release_id WHERE rp.problem_id = p.id AND r.status <> 'canceled')
		FROM problems p WHERE p.status IN ('new', 'assess', 'rca', 'fix_in_progress', 'resolved')
		AND (p.recurrence_count > 0 OR EXISTS (SELECT 1 FROM incidents i WHERE i.problem_id = p.id AND i.opened_at >= $1))
		ORDER BY p.id LIMIT $2`,
		func(r *sql.Rows) (cycle.Fact, error) {
			var f cycle.Fact
			var id int64
			var cis string
			var wa int
			err := r.Scan(&id, &f.Title, &f.Status, &f.Priority, &cis, &f.Recurrences, &wa, &f.FixReleases)
			f.Problem, f.CIs, f.Workaround, f.Cycles = ident.Problem.Format(id), nonNilList(splitList(cis)), wa == 1, []string{}
			return f, err
		}, ts(since), MaxPlanCandidates)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*cycle.Fact, len(facts))
	for i := range facts {
		byID[facts[i].Problem] = &facts[i]
	}
	type count struct {
		problem              string
		n, worst, afterFixes int
	}
	// Driven by the open problems (problems_status), each one's incidents
	// since through incidents_problem_opened: never the window's incidents
	// of every problem, which grow with the history.
	counts, err := scanAll(ctx, tx, `WITH cand AS MATERIALIZED (SELECT p.id,
			(SELECT MIN(r.at) FROM problem_resolutions r WHERE r.problem_id = p.id) AS first_fix
			FROM problems p WHERE p.status IN ('new', 'assess', 'rca', 'fix_in_progress', 'resolved'))
		SELECT c.id, COUNT(*), MIN(i.severity), SUM(CASE WHEN c.first_fix IS NOT NULL AND i.opened_at > c.first_fix THEN 1 ELSE 0 END)
		FROM cand c JOIN incidents i ON i.problem_id = c.id AND i.opened_at >= $1 GROUP BY c.id`,
		func(r *sql.Rows) (count, error) {
			var c count
			var id int64
			err := r.Scan(&id, &c.n, &c.worst, &c.afterFixes)
			c.problem = ident.Problem.Format(id)
			return c, err
		}, ts(since))
	for _, c := range counts {
		if f := byID[c.problem]; f != nil {
			f.Incidents, f.WorstSeverity, f.AfterFix = c.n, c.worst, c.afterFixes
		}
	}
	if err != nil {
		return nil, err
	}
	return facts, tx.planCycles(ctx, byID)
}

// planCycles fills the cycles (ending after now) that target each fact.
func (tx *Tx) planCycles(ctx context.Context, byID map[string]*cycle.Fact) error {
	type link struct{ problem, cycle int64 }
	links, err := scanAll(ctx, tx, `SELECT cp.problem_id, cp.cycle_id FROM cycle_problems cp JOIN cycles c ON c.id = cp.cycle_id
		WHERE c.ends_at >= $1 ORDER BY cp.cycle_id`,
		func(r *sql.Rows) (link, error) { var l link; err := r.Scan(&l.problem, &l.cycle); return l, err }, ts(tx.now))
	for _, l := range links {
		if f := byID[ident.Problem.Format(l.problem)]; f != nil {
			f.Cycles = append(f.Cycles, ident.Cycle.Format(l.cycle))
		}
	}
	return err
}

// planReleases returns the planned and approved releases (the newest
// MaxPlanCandidates, in id order) with their components and the priorities
// of the problems they resolve.
func (tx *Tx) planReleases(ctx context.Context) ([]cycle.OpenRelease, error) {
	type part struct {
		release  int64
		kind     string // "c" component, "p" problem
		ref      string
		priority int
	}
	rels, err := scanAll(ctx, tx, `SELECT id, version, type FROM (`+planOpenReleases+`) o ORDER BY id`,
		func(r *sql.Rows) (cycle.OpenRelease, error) {
			var o cycle.OpenRelease
			var id int64
			err := r.Scan(&id, &o.Version, &o.Type)
			o.ID, o.Components, o.Resolves, o.Priorities = ident.Release.Format(id), []string{}, []string{}, []int{}
			return o, err
		}, MaxPlanCandidates)
	if err != nil {
		return nil, err
	}
	parts, err := scanAll(ctx, tx, `WITH o AS (`+planOpenReleases+`)
		SELECT rc.release_id, 'c', cv.ci || '@' || cv.version, 0 FROM o JOIN release_components rc ON rc.release_id = o.id
		JOIN component_versions cv ON cv.id = rc.component_version_id
		UNION ALL SELECT rp.release_id, 'p', 'PRB-' || p.id, p.priority FROM o JOIN release_problems rp ON rp.release_id = o.id
		JOIN problems p ON p.id = rp.problem_id ORDER BY 1, 2, 3`,
		func(r *sql.Rows) (part, error) {
			var p part
			err := r.Scan(&p.release, &p.kind, &p.ref, &p.priority)
			return p, err
		}, MaxPlanCandidates)
	byID := map[string]*cycle.OpenRelease{}
	for i := range rels {
		byID[rels[i].ID] = &rels[i]
	}
	for _, p := range parts {
		o := byID[ident.Release.Format(p.release)]
		if o == nil {
			continue
		}
		if p.kind == "c" {
			o.Components = append(o.Components, p.ref)
		} else {
			o.Resolves, o.Priorities = append(o.Resolves, p.ref), append(o.Priorities, p.priority)
		}
	}
	return rels, err
}

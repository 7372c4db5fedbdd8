package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
)

// problemSelect reads a problem with its CIs and environments from the
// row's copies of the link tables (names never contain commas).
const problemSelect = `SELECT id, title, description, status, priority, owner, category, rca_summary, rca_doc_sha256, rca_author, rca_at,
	rca_validated_by, rca_validated_at, workaround, resolved_by, resolved_at, observation_until, recurrence_count, closed_at,
	rev, created_by, created_at, updated_at, cis_list, envs_list
	FROM problems`

func scanProblem(sc interface{ Scan(...any) error }) (problem.Problem, int64, error) {
	var p problem.Problem
	var id int64
	var cis, envs string
	err := sc.Scan(&id, &p.Title, &p.Description, &p.Status, &p.Priority, &p.Owner, &p.RCA.Category, &p.RCA.Summary,
		&p.RCA.DocSHA256, &p.RCA.Author, nullTimeCol{&p.RCA.RecordedAt}, &p.RCA.ValidatedBy, nullTimeCol{&p.RCA.ValidatedAt},
		&p.Workaround, &p.ResolvedBy, nullTimeCol{&p.ResolvedAt}, nullTimeCol{&p.ObservationUntil}, &p.RecurrenceCount,
		nullTimeCol{&p.ClosedAt}, &p.Revision, &p.CreatedBy, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &cis, &envs)
	p.ID = ident.Problem.Format(id)
	p.CIs, p.Environments = nonNilList(splitList(cis)), nonNilList(splitList(envs))
	return p, id, err
}

// CreateProblem stores a new problem in state "new" after p.Validate.
// Returns Invalid naming "cis", "environments" or "incidents" when a
// referenced record does not exist.
func (s *Store) CreateProblem(ctx context.Context, a audit.Actor, p problem.Problem, incidents []int64) (problem.Problem, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := s.write(ctx, a, func(tx *Tx) error { return tx.insertProblem(ctx, &p, incidents) })
	return p, err
}

// CreateProblems stores many problems in one transaction, all or nothing
// (bulk loads: demo data, benchmarks). The error names the failing entry.
func (s *Store) CreateProblems(ctx context.Context, a audit.Actor, ps []problem.Problem) ([]problem.Problem, error) {
	for i := range ps {
		if err := ps[i].Validate(); err != nil {
			return nil, fault.In("problems", i, err)
		}
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		for i := range ps {
			if err := tx.insertProblem(ctx, &ps[i], nil); err != nil {
				return fault.In("problems", i, err)
			}
		}
		return nil
	})
	return ps, err
}

func (tx *Tx) insertProblem(ctx context.Context, p *problem.Problem, incidents []int64) error {
	if err := tx.requireNames(ctx, "cis", "cis", p.CIs); err != nil {
		return err
	}
	if err := tx.requireNames(ctx, "environments", "environments", p.Environments); err != nil {
		return err
	}
	p.Status, p.Revision, p.RecurrenceCount = problem.New, 1, 0
	p.CreatedBy, p.CreatedAt, p.UpdatedAt = tx.actor.User, tx.now, tx.now
	id, err := tx.insertID(ctx, `INSERT INTO problems (title, description, status, priority, owner, workaround, rev, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.Title, p.Description, p.Status, p.Priority, p.Owner, p.Workaround, p.Revision, p.CreatedBy, ts(tx.now), ts(tx.now))
	if err != nil {
		return err
	}
	p.ID = ident.Problem.Format(id)
	if err := tx.insertProblemLinks(ctx, id, p.CIs, p.Environments); err != nil {
		return err
	}
	if err := tx.linkIncidents(ctx, id, incidents); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "problem.create", "problem", p.ID, p.Revision, nil, p)
}

// setProblemLinks replaces the problem's CIs and environments.
func (tx *Tx) setProblemLinks(ctx context.Context, id int64, cis, envs []string) error {
	if _, err := tx.exec(ctx, `DELETE FROM problem_cis WHERE problem_id = $1`, id); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM problem_envs WHERE problem_id = $1`, id); err != nil {
		return err
	}
	return tx.insertProblemLinks(ctx, id, cis, envs)
}

func (tx *Tx) insertProblemLinks(ctx context.Context, id int64, cis, envs []string) error {
	if _, err := tx.exec(ctx, `UPDATE problems SET cis_list = $1, envs_list = $2 WHERE id = $3`, joinList(cis), joinList(envs), id); err != nil {
		return err
	}
	for _, c := range cis {
		if _, err := tx.exec(ctx, `INSERT INTO problem_cis (problem_id, ci) VALUES ($1, $2)`, id, c); err != nil {
			return err
		}
	}
	for _, e := range envs {
		if _, err := tx.exec(ctx, `INSERT INTO problem_envs (problem_id, env) VALUES ($1, $2)`, id, e); err != nil {
			return err
		}
	}
	return nil
}

// linkIncidents attaches incidents to problem id. Returns Invalid naming
// "incidents" for an unknown incident.
func (tx *Tx) linkIncidents(ctx context.Context, problemID int64, incidents []int64) error {
	for _, inc := range incidents {
		res, err := tx.exec(ctx, `UPDATE incidents SET problem_id = $1, rev = rev + 1, updated_at = $2 WHERE id = $3`, problemID, ts(tx.now), inc)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.Field("incidents", "%s does not exist", ident.Incident.Format(inc))
		}
		if err := tx.auditEvent(ctx, "incident.link", "incident", ident.Incident.Format(inc), 0, nil,
			map[string]string{"problem": ident.Problem.Format(problemID)}); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) getProblem(ctx context.Context, id int64) (problem.Problem, error) {
	p, _, err := scanProblem(tx.queryRow(ctx, problemSelect+` WHERE id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.NotFoundf("problem %s not found", ident.Problem.Format(id))
	}
	return p, err
}

// GetProblem returns one problem. Returns NotFound if there is none.
func (s *Store) GetProblem(ctx context.Context, id int64) (problem.Problem, error) {
	p, _, err := scanProblem(s.queryRowHot(ctx, problemSelect+` WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.NotFoundf("problem %s not found", ident.Problem.Format(id))
	}
	return p, errf(err, "get problem")
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// ProblemContext is what a problem mutation may consult besides the record.
type ProblemContext struct {
	Now time.Time
}

// UpdateProblem loads the problem inside a write transaction, checks ifRev
// (0 skips the check), applies fn (the domain rule) and saves the result
// with its audit event under action; a change that drops the RCA's
// validation marks the validation rows withdrawn (withdrawValidations).
// fn cannot resolve the problem (see ResolveProblem and
// resolveByDeployment). Returns NotFound, PreconditionFailed on a stale
// revision or a move to resolved, or fn's error; nothing is written on error.
func (s *Store) UpdateProblem(ctx context.Context, a audit.Actor, id int64, ifRev int64, action string,
	fn func(p *problem.Problem, c ProblemContext) error) (problem.Problem, error) {
	var p problem.Problem
	err := s.write(ctx, a, func(tx *Tx) error {
		var err error
		p, err = tx.updateProblem(ctx, id, ifRev, action, fn)
		return err
	})
	return p, err
}

// updateProblem is UpdateProblem's work inside tx.
func (tx *Tx) updateProblem(ctx context.Context, id int64, ifRev int64, action string,
	fn func(p *problem.Problem, c ProblemContext) error) (problem.Problem, error) {
	before, err := tx.getProblem(ctx, id)
	if err != nil {
		return problem.Problem{}, err
	}
	if err := checkRev("problem "+before.ID, before.Revision, ifRev); err != nil {
		return problem.Problem{}, err
	}
	p := before
	p.CIs, p.Environments = append([]string{}, before.CIs...), append([]string{}, before.Environments...)
	if err := fn(&p, ProblemContext{Now: tx.now}); err != nil {
		return p, err
	}
	if p.Status == problem.Resolved && before.Status != problem.Resolved {
		return p, fault.New(fault.PreconditionFailed, "%s is resolved only through ResolveProblem (a deviation) or a production deployment", before.ID)
	}
	if err := p.Validate(); err != nil {
		return p, err
	}
	if err := tx.requireNames(ctx, "cis", "cis", p.CIs); err != nil {
		return p, err
	}
	if err := tx.requireNames(ctx, "environments", "environments", p.Environments); err != nil {
		return p, err
	}
	p.ID, p.CreatedBy, p.CreatedAt = before.ID, before.CreatedBy, before.CreatedAt
	p.Revision, p.UpdatedAt = before.Revision+1, tx.now
	if err := tx.saveProblem(ctx, id, &p); err != nil {
		return p, err
	}
	if err := tx.auditEvent(ctx, action, "problem", p.ID, p.Revision, before, p); err != nil {
		return p, err
	}
	if p.RCA.DocSHA256 != before.RCA.DocSHA256 { // a new RCA document joins its releases' evidence
		if _, err := tx.attachRCAEvidence(ctx, evidenceOfProblem, id, true); err != nil {
			return p, err
		}
	}
	if why := withdrawnBy(before, p); why != "" {
		return p, tx.withdrawValidations(ctx, id, why)
	}
	return p, nil
}

// saveProblem stores p at its new revision p.Revision, provided the row is
// still at p.Revision-1, the one read (updateRev).
func (tx *Tx) saveProblem(ctx context.Context, id int64, p *problem.Problem) error {
	err := tx.updateRev(ctx, "problem "+p.ID, p.Revision-1, `UPDATE problems SET title = $1, description = $2, status = $3, priority = $4, owner = $5,
		category = $6, rca_summary = $7, rca_doc_sha256 = $8, rca_author = $9, rca_at = $10, rca_validated_by = $11,
		rca_validated_at = $12, workaround = $13, resolved_by = $14, resolved_at = $15, observation_until = $16,
		recurrence_count = $17, closed_at = $18, rev = $19, updated_at = $20 WHERE id = $21 AND rev = $22`,
		p.Title, p.Description, p.Status, p.Priority, p.Owner, p.RCA.Category, p.RCA.Summary, p.RCA.DocSHA256,
		p.RCA.Author, tsp(p.RCA.RecordedAt), p.RCA.ValidatedBy, tsp(p.RCA.ValidatedAt), p.Workaround, p.ResolvedBy,
		tsp(p.ResolvedAt), tsp(p.ObservationUntil), p.RecurrenceCount, tsp(p.ClosedAt), p.Revision, ts(p.UpdatedAt), id, p.Revision-1)
	if err != nil {
		return err
	}
	return tx.setProblemLinks(ctx, id, p.CIs, p.Environments)
}

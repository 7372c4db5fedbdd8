package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/pir"
)

const pirCols = `id, problem_id, release_id, status, root_cause_eliminated, kpis, findings, checklist, completed_by, completed_at,
	rev, created_by, created_at, updated_at, targets`

func scanPIR(sc interface{ Scan(...any) error }) (pir.PIR, int64, error) {
	var p pir.PIR
	var id, prb int64
	var rel sql.NullInt64
	var elim sql.NullBool
	var targets string
	err := sc.Scan(&id, &prb, &rel, &p.Status, &elim, jsonCol{&p.KPIs}, &p.Findings, jsonCol{&p.Checklist}, &p.CompletedBy,
		nullTimeCol{&p.CompletedAt}, &p.Revision, &p.CreatedBy, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &targets)
	if err == nil && targets != "" {
		err = jsonCol{&p.Targets}.Scan(targets)
	}
	p.ID, p.Problem = ident.PIR.Format(id), ident.Problem.Format(prb)
	if rel.Valid {
		p.Release = ident.Release.Format(rel.Int64)
	}
	if elim.Valid {
		v := elim.Bool
		p.RootCauseEliminated = &v
	}
	if p.KPIs == nil {
		p.KPIs = map[string]float64{}
	}
	if p.Checklist == nil {
		p.Checklist = []string{}
	}
	return p, id, err
}

func boolArg(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// CreatePIR stores a new post-implementation review as a draft after
// p.Validate, with the computed KPIs filled in when its problem has been
// resolved (see pirKPIs; other KPIs are kept as given) and the evaluation
// of its fix's targets under the policy in force (pirTargets). Returns Invalid naming "problem" or "release" when the
// referenced record does not exist.
func (s *Store) CreatePIR(ctx context.Context, a audit.Actor, p pir.PIR) (pir.PIR, error) {
	if err := p.Validate(); err != nil {
		return p, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.requireRecord(ctx, "problem", "problems", ident.Problem, p.Problem); err != nil {
			return err
		}
		if err := tx.requireRecord(ctx, "release", "releases", ident.Release, p.Release); err != nil {
			return err
		}
		p.Status, p.Revision, p.CreatedBy, p.CreatedAt, p.UpdatedAt = pir.Draft, 1, a.User, tx.now, tx.now
		p.CompletedBy, p.CompletedAt, p.Targets = "", nil, nil
		if _, err := tx.pirKPIs(ctx, &p); err != nil { // pir_feedback.go: incidents before/after the fix
			return err
		}
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO pirs (problem_id, release_id, status, root_cause_eliminated, kpis, findings, checklist,
			rev, created_by, created_at, updated_at, targets) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			idArg(ident.Problem, p.Problem), idArg(ident.Release, p.Release), p.Status, boolArg(p.RootCauseEliminated),
			jsonText(p.KPIs), p.Findings, jsonText(p.Checklist), p.Revision, p.CreatedBy, ts(tx.now), ts(tx.now),
			targetsText(p.Targets)).Scan(&id)
		if err != nil {
			return err
		}
		p.ID = ident.PIR.Format(id)
		if err := tx.savePIRTags(ctx, id, nil, p.FindingTags); err != nil { // pir_tags.go
			return err
		}
		return tx.auditEvent(ctx, "pir.create", "pir", p.ID, p.Revision, nil, p)
	})
	return p, err
}

// GetPIR returns one review. Returns NotFound if there is none.
func (s *Store) GetPIR(ctx context.Context, id int64) (pir.PIR, error) {
	p, _, err := scanPIR(s.db.QueryRowContext(ctx, `SELECT `+pirCols+` FROM pirs WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.NotFoundf("post-implementation review %s not found", ident.PIR.Format(id))
	}
	if err == nil {
		ps := []pir.PIR{p}
		err = attachPIRTags(ctx, s.db.QueryContext, ps, []int64{id})
		p = ps[0]
	}
	return p, errf(err, "get pir")
}

// PIRFilter selects reviews for ListPIRs; zero fields do not filter.
type PIRFilter struct {
	Status  string
	Problem int64
	Release int64
	Page
}

// ListPIRs returns reviews in id order after f.After, at most f.Limit.
func (s *Store) ListPIRs(ctx context.Context, f PIRFilter) ([]pir.PIR, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Problem != 0 {
		w.add("problem_id = ?", f.Problem)
	}
	if f.Release != 0 {
		w.add("release_id = ?", f.Release)
	}
	q := `SELECT ` + pirCols + ` FROM pirs` + w.where() + ` ORDER BY id LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list pirs")
	}
	defer rows.Close()
	out, ids := []pir.PIR{}, []int64{}
	for rows.Next() {
		p, id, err := scanPIR(rows)
		if err != nil {
			return nil, errf(err, "scan pir")
		}
		out, ids = append(out, p), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, errf(err, "list pirs")
	}
	rows.Close()
	return out, errf(attachPIRTags(ctx, s.db.QueryContext, out, ids), "list pir tags")
}

// PIRContext is what a review mutation may consult besides the record.
type PIRContext = IncidentContext

// UpdatePIR loads the review inside a write transaction, checks ifRev (0
// skips), applies fn (the domain rule), validates and saves it with its
// audit event under action. Completing a review adds its checklist items to
// the change models of its release's changes (see refineChecklists).
// Returns NotFound, PreconditionFailed on a stale
// revision, Invalid naming the field, or fn's error; nothing is written on error.
func (s *Store) UpdatePIR(ctx context.Context, a audit.Actor, id, ifRev int64, action string,
	fn func(p *pir.PIR, c PIRContext) error) (pir.PIR, error) {
	var p pir.PIR
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.lockPIR(ctx, id, ifRev)
		if err != nil {
			return err
		}
		p = before
		p.KPIs = make(map[string]float64, len(before.KPIs))
		for k, v := range before.KPIs {
			p.KPIs[k] = v
		}
		p.Checklist = append([]string{}, before.Checklist...)
		p.FindingTags = append([]string{}, before.FindingTags...)
		if err := fn(&p, PIRContext{Now: tx.now}); err != nil {
			return err
		}
		p.Targets = before.Targets // the store's evaluation, never a person's edit
		if before.Status == pir.Completed && p.Status == pir.Completed {
			return before.Editable()
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if p.Status != before.Status {
			if err := pir.Machine.Check(before.Status, p.Status); err != nil {
				return err
			}
		}
		if err := tx.requireRecord(ctx, "problem", "problems", ident.Problem, p.Problem); err != nil {
			return err
		}
		if err := tx.requireRecord(ctx, "release", "releases", ident.Release, p.Release); err != nil {
			return err
		}
		p.ID, p.CreatedBy, p.CreatedAt = before.ID, before.CreatedBy, before.CreatedAt
		p.Revision, p.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "post-implementation review "+before.ID, before.Revision, `UPDATE pirs SET problem_id = $1,
			release_id = $2, status = $3, root_cause_eliminated = $4, kpis = $5, findings = $6, checklist = $7, completed_by = $8,
			completed_at = $9, rev = $10, updated_at = $11 WHERE id = $12 AND rev = $13`,
			idArg(ident.Problem, p.Problem), idArg(ident.Release, p.Release), p.Status, boolArg(p.RootCauseEliminated),
			jsonText(p.KPIs), p.Findings, jsonText(p.Checklist), p.CompletedBy, tsp(p.CompletedAt), p.Revision, ts(p.UpdatedAt), id,
			before.Revision); err != nil {
			return err
		}
		if err := tx.savePIRTags(ctx, id, before.FindingTags, p.FindingTags); err != nil { // pir_tags.go
			return err
		}
		if err := tx.auditEvent(ctx, action, "pir", p.ID, p.Revision, before, p); err != nil {
			return err
		}
		if before.Status != pir.Completed && p.Status == pir.Completed {
			_, err := tx.refineChecklists(ctx, id, &p) // pir_feedback.go: the next similar fix gets these items
			return err
		}
		return nil
	})
	return p, err
}

// lockPIR reads review id for an update (row lock on PostgreSQL) and checks
// ifRev (0 skips it). Returns NotFound or a stale-revision PreconditionFailed.
func (tx *Tx) lockPIR(ctx context.Context, id, ifRev int64) (pir.PIR, error) {
	p, _, err := scanPIR(tx.queryRow(ctx, `SELECT `+pirCols+` FROM pirs WHERE id = $1`+tx.forUpdate(), id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.NotFoundf("post-implementation review %s not found", ident.PIR.Format(id))
	}
	if err != nil {
		return p, err
	}
	ps := []pir.PIR{p}
	if err := attachPIRTags(ctx, tx.query, ps, []int64{id}); err != nil {
		return p, err
	}
	p = ps[0]
	return p, checkRev("post-implementation review "+p.ID, p.Revision, ifRev)
}

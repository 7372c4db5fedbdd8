package store

import (
	"context"
	"sort"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/pir"
)

// pirKPIs sets the computed KPIs of p (pir.SetComputedKPIs) from the
// incidents linked to its problem in the windows around the problem's
// resolution (pir.KPIWindows), and the evaluation of its targets (pirTargets). It reports false, and changes nothing, when
// the problem has no resolution to centre the windows on.
func (tx *Tx) pirKPIs(ctx context.Context, p *pir.PIR) (bool, error) {
	prbID, err := ident.Problem.Parse("problem", p.Problem)
	if err != nil {
		return false, err
	}
	prb, err := tx.getProblem(ctx, prbID)
	if err != nil {
		return false, err
	}
	w, ok := pir.KPIWindows(prb.ResolvedAt, prb.ObservationUntil)
	if !ok {
		return false, nil
	}
	count := func(from, to time.Time) (int64, error) {
		var n int64
		err := tx.queryRow(ctx, `SELECT COUNT(*) FROM incidents WHERE problem_id = $1 AND opened_at >= $2 AND opened_at < $3`,
			prbID, ts(from), ts(to)).Scan(&n)
		return n, err
	}
	before, err := count(w.Before())
	if err != nil {
		return false, err
	}
	after, err := count(w.After())
	if err != nil {
		return false, err
	}
	if p.KPIs == nil {
		p.KPIs = map[string]float64{}
	}
	pir.SetComputedKPIs(p.KPIs, w, before, after, tx.now)
	return true, tx.pirTargets(ctx, p, prbID, w, before, after) // pir_targets.go
}

// RefreshPIRKPIs recomputes the computed KPIs of a draft review (see
// pirKPIs), keeping the others, and the evaluation of its targets. ifRev 0 skips the revision check. Returns
// NotFound, PreconditionFailed on a stale revision or when the problem has
// no resolution to measure around, Conflict when the review is completed
// (its KPIs are part of the record). Audited as pir.kpis.
func (s *Store) RefreshPIRKPIs(ctx context.Context, a audit.Actor, id, ifRev int64) (pir.PIR, error) {
	var p pir.PIR
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.lockPIR(ctx, id, ifRev)
		if err != nil {
			return err
		}
		if err := before.Editable(); err != nil {
			return err
		}
		p = before
		p.KPIs = make(map[string]float64, len(before.KPIs)+len(pir.ComputedKPIs))
		for k, v := range before.KPIs {
			p.KPIs[k] = v
		}
		ok, err := tx.pirKPIs(ctx, &p)
		if err != nil {
			return err
		}
		if !ok {
			return fault.New(fault.PreconditionFailed, "problem %s has not been resolved: there is no resolution to measure KPIs around", p.Problem)
		}
		if err := p.Validate(); err != nil {
			return err
		}
		p.Revision, p.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "post-implementation review "+before.ID, before.Revision,
			`UPDATE pirs SET kpis = $1, targets = $2, rev = $3, updated_at = $4 WHERE id = $5 AND rev = $6`,
			jsonText(p.KPIs), targetsText(p.Targets), p.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "pir.kpis", "pir", p.ID, p.Revision, before, p)
	})
	return p, err
}

// ChecklistItem is one item a completed review added to a change model.
type ChecklistItem struct {
	Item    string    `json:"item"`
	PIR     string    `json:"pir"` // PIR-n it came from
	AddedBy string    `json:"added_by"`
	AddedAt time.Time `json:"added_at"`
}

// refineChecklists adds the checklist items of review p (id pirID), which
// is being completed, to the change model of every change (not canceled)
// of its release. An item the model already holds is not added again. It
// returns the models that got new items. Audited as change_model.checklist
// per model, in the caller's transaction.
func (tx *Tx) refineChecklists(ctx context.Context, pirID int64, p *pir.PIR) ([]string, error) {
	models := []string{}
	if p.Release == "" || len(p.Checklist) == 0 {
		return models, nil
	}
	relID, err := ident.Release.Parse("release", p.Release)
	if err != nil {
		return nil, err
	}
	rows, err := tx.query(ctx, `SELECT DISTINCT change_model FROM changes WHERE release_id = $1 AND change_model <> '' AND status <> 'canceled'`, relID)
	if err != nil {
		return nil, err
	}
	var found []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Strings(found)
	for _, m := range found {
		var added []string
		for _, it := range p.Checklist {
			res, err := tx.exec(ctx, `INSERT INTO change_model_checklist (model, item, pir_id, added_by, added_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model, item) DO NOTHING`, m, it, pirID, tx.actor.User, ts(tx.now))
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				added = append(added, it)
			}
		}
		if len(added) == 0 {
			continue
		}
		models = append(models, m)
		if err := tx.auditEvent(ctx, "change_model.checklist", "change_model", m, 0, nil,
			map[string]any{"model": m, "added": added, "pir": p.ID, "release": p.Release}); err != nil {
			return nil, err
		}
	}
	return models, nil
}

// ChangeModelChecklist returns the items completed reviews added to change
// model, in the order they were added (empty when none).
func (s *Store) ChangeModelChecklist(ctx context.Context, model string) ([]ChecklistItem, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT item, pir_id, added_by, added_at FROM change_model_checklist
		WHERE model = $1 ORDER BY id`, model)
	if err != nil {
		return nil, errf(err, "change model checklist")
	}
	defer rows.Close()
	out := []ChecklistItem{}
	for rows.Next() {
		var c ChecklistItem
		var id int64
		if err := rows.Scan(&c.Item, &id, &c.AddedBy, timeCol{&c.AddedAt}); err != nil {
			return nil, errf(err, "scan checklist item")
		}
		c.PIR = ident.PIR.Format(id)
		out = append(out, c)
	}
	return out, errf(rows.Err(), "change model checklist")
}

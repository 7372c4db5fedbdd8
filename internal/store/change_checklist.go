package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// A change carries the checklist of its change model (rule:
// change.Checklist; the gate reads it in gate_checklist.go). Ticking an
// item is an attestation by the person who ticks it, recorded with the
// time and an optional evidence note or link; it is an edit of the change:
// a compare-and-set on the change's revision, which it moves on, so a
// deployment started on a gate verdict refuses a checklist edited since
// (deployment_fresh.go). Each tick and untick is audited twice in its
// transaction: as change.checklist_check|uncheck of the change (its
// after-image, as reconciliation expects) and of its change_checklist (the
// item, who, when, the evidence). When the change enters scheduled (it is
// approved, or a standard change is scheduled) its list is frozen
// (change_checklist_frozen): items added to the model afterwards do not
// apply to it.

// ChangeChecklist returns the checklist of change id: the list frozen when
// it was approved, else the items of its change model under pol (the
// policy's, then those completed reviews added), each ticked or not, and
// what is missing. Returns NotFound.
func (s *Store) ChangeChecklist(ctx context.Context, id int64, pol *policy.Policy) (change.Checklist, error) {
	var cl change.Checklist
	err := s.snapshot(ctx, func(tx *Tx) error {
		var err error
		cl, _, err = tx.changeChecklist(ctx, id, pol, false)
		return err
	})
	return cl, err
}

// CheckChangeItem ticks item of change id's checklist as the actor's
// attestation, with an optional evidence note or link, when the change is
// at revision ifRev (0 skips the check), and returns the checklist.
// Returns NotFound; PreconditionFailed on a stale revision; Invalid naming
// "item" for an item the checklist does not hold, "evidence" when too
// long; Conflict on a final change or an item already ticked; Forbidden
// (rule separation_of_duties) when the actor approved the change or its
// release: approvers review the attestations, they do not make them.
func (s *Store) CheckChangeItem(ctx context.Context, a audit.Actor, id, ifRev int64, item, evidence string, pol *policy.Policy) (change.Checklist, error) {
	return s.editChecklist(ctx, a, id, ifRev, "change.checklist_check", pol, func(tx *Tx, cl *change.Checklist, c change.Change) (any, any, error) {
		after, err := cl.Check(item, a.User, evidence, tx.now)
		if err != nil {
			return nil, nil, err
		}
		if err := tx.checklistSoD(ctx, a.User, c); err != nil {
			return nil, nil, err
		}
		_, err = tx.exec(ctx, `INSERT INTO change_checklist_ticks (change_id, item, ticked_by, ticked_at, evidence) VALUES ($1, $2, $3, $4, $5)`,
			id, after.Item, after.TickedBy, ts(tx.now), after.Evidence)
		return change.ChecklistEntry{Item: after.Item, Source: after.Source}, after, err
	})
}

// UncheckChangeItem withdraws the tick of item on change id's checklist at
// revision ifRev (0 skips the check) and returns the checklist. Returns
// NotFound, PreconditionFailed on a stale revision, Invalid naming "item"
// for an item the checklist does not hold, Conflict on a final change or
// an item not ticked.
func (s *Store) UncheckChangeItem(ctx context.Context, a audit.Actor, id, ifRev int64, item string, pol *policy.Policy) (change.Checklist, error) {
	return s.editChecklist(ctx, a, id, ifRev, "change.checklist_uncheck", pol, func(tx *Tx, cl *change.Checklist, _ change.Change) (any, any, error) {
		before, err := cl.Uncheck(item)
		if err != nil {
			return nil, nil, err
		}
		_, err = tx.exec(ctx, `DELETE FROM change_checklist_ticks WHERE change_id = $1 AND item = $2`, id, before.Item)
		return before, change.ChecklistEntry{Item: before.Item, Source: before.Source}, err
	})
}

// editChecklist runs edit (the domain move and its row) on the checklist of
// change id, locked at revision ifRev, then moves the change's revision on
// and audits both records under action.
func (s *Store) editChecklist(ctx context.Context, a audit.Actor, id, ifRev int64, action string, pol *policy.Policy,
	edit func(tx *Tx, cl *change.Checklist, c change.Change) (before, after any, err error)) (change.Checklist, error) {
	var cl change.Checklist
	err := s.write(ctx, a, func(tx *Tx) error {
		var c change.Change
		var err error
		if cl, c, err = tx.changeChecklist(ctx, id, pol, true); err != nil {
			return err
		}
		if err := checkRev("change "+c.ID, c.Revision, ifRev); err != nil {
			return err
		}
		before, after, err := edit(tx, &cl, c)
		if err != nil {
			return err
		}
		next := c
		next.Revision, next.UpdatedAt = c.Revision+1, tx.now
		if err := tx.updateRev(ctx, "change "+c.ID, c.Revision, `UPDATE changes SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
			next.Revision, ts(tx.now), id, c.Revision); err != nil {
			return err
		}
		cl.Revision = next.Revision
		if err := tx.auditEvent(ctx, action, "change", c.ID, next.Revision, c, next); err != nil {
			return err
		}
		return tx.auditEvent(ctx, action, "change_checklist", c.ID, next.Revision, before, after)
	})
	return cl, err
}

// changeChecklist reads change id (locked for update when lock) and its
// checklist under pol.
func (tx *Tx) changeChecklist(ctx context.Context, id int64, pol *policy.Policy, lock bool) (change.Checklist, change.Change, error) {
	q := `SELECT ` + changeCols + ` FROM changes WHERE id = $1`
	if lock {
		q += tx.forUpdate()
	}
	c, _, err := scanChange(tx.queryRow(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return change.Checklist{}, c, fault.NotFoundf("change %s not found", ident.Change.Format(id))
	}
	if err != nil {
		return change.Checklist{}, c, err
	}
	cl := change.Checklist{Change: c.ID, Model: c.ChangeModel, Status: c.Status, Revision: c.Revision}
	policyItems(&cl, pol)
	if c.ChangeModel != "" {
		if err := (eachRunner{readTx{tx}}).run(ctx, checklistRead(id, &cl, func() {})); err != nil {
			return cl, c, err
		}
	}
	cl.Finish()
	return cl, c, nil
}

// checklistSoD refuses a tick by someone who approved change c or its
// release.
func (tx *Tx) checklistSoD(ctx context.Context, user string, c change.Change) error {
	var record string
	err := tx.queryRow(ctx, `SELECT record_id FROM approvals WHERE approver = $1 AND decision = $2
		AND ((record_type = $3 AND record_id = $4) OR (record_type = $5 AND record_id = $6)) ORDER BY id LIMIT 1`,
		user, approval.Approve, approval.RecordChange, c.ID, approval.RecordRelease, c.Release).Scan(&record)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fault.Refused("separation_of_duties", "separation of duties: %s approved %s; an approver reviews the checklist of %s and does not attest its items: someone who did the work ticks them",
		user, record, c.ID)
}

// freezeChecklist freezes the checklist of change c (id), which enters
// scheduled, with the policy in force: from now on items added to its
// model do not apply to it. A change without a model, or already frozen,
// is left alone. Audited as change.checklist_freeze of its change_checklist.
func (tx *Tx) freezeChecklist(ctx context.Context, id int64, c change.Change) error {
	if c.ChangeModel == "" {
		return nil
	}
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return err
	}
	cl, _, err := tx.changeChecklist(ctx, id, pol, false)
	if err != nil || cl.FrozenAt != nil {
		return err
	}
	items := make([]change.ChecklistEntry, len(cl.Items))
	for i, it := range cl.Items {
		items[i] = change.ChecklistEntry{Item: it.Item, Source: it.Source}
	}
	if _, err := tx.exec(ctx, `INSERT INTO change_checklist_frozen (change_id, items, frozen_by, frozen_at) VALUES ($1, $2, $3, $4)`,
		id, jsonText(items), tx.actor.User, ts(tx.now)); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "change.checklist_freeze", "change_checklist", c.ID, c.Revision, nil,
		map[string]any{"model": c.ChangeModel, "items": items, "frozen_at": tx.now, "status": c.Status})
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

const changeCols = `id, title, type, release_id, env, change_model, risk_class, status, requested_by, planned_start, planned_end,
	deviations, rev, created_at, updated_at, risk_computed, risk_justification, risk_override_by`

func scanChange(sc interface{ Scan(...any) error }) (change.Change, int64, error) {
	var c change.Change
	var id int64
	var rel sql.NullInt64
	var env sql.NullString
	err := sc.Scan(&id, &c.Title, &c.Type, &rel, &env, &c.ChangeModel, &c.RiskClass, &c.Status, &c.RequestedBy,
		nullTimeCol{&c.PlannedStart}, nullTimeCol{&c.PlannedEnd}, jsonCol{&c.Deviations}, &c.Revision,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.RiskComputed, &c.RiskJustification, &c.RiskOverrideBy)
	c.ID = ident.Change.Format(id)
	if rel.Valid {
		c.Release = ident.Release.Format(rel.Int64)
	}
	c.Env = env.String
	if c.Deviations == nil {
		c.Deviations = []change.Deviation{}
	}
	return c, id, err
}

// changeRefs checks the release and environment a change names and returns
// them as bindable values (NULL when unset). Returns Invalid naming
// "release" or "env" for a record that does not exist.
func (tx *Tx) changeRefs(ctx context.Context, c *change.Change) (rel, env any, err error) {
	if c.Release != "" {
		n, err := ident.Release.Parse("release", c.Release)
		if err != nil {
			return nil, nil, err
		}
		var count int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM releases WHERE id = $1`, n).Scan(&count); err != nil {
			return nil, nil, err
		}
		if count == 0 {
			return nil, nil, fault.Field("release", "release %s does not exist", c.Release)
		}
		rel = n
	}
	if c.Env != "" {
		if err := tx.requireNames(ctx, "env", "environments", []string{c.Env}); err != nil {
			return nil, nil, err
		}
		env = c.Env
	}
	return rel, env, nil
}

// CreateChange stores a new change in state "draft", requested by the
// actor, after c.Validate. Returns Invalid naming "release" or "env" when a
// referenced record does not exist.
func (s *Store) CreateChange(ctx context.Context, a audit.Actor, c change.Change) (change.Change, error) {
	c.Deviations = nil
	if err := c.Validate(); err != nil {
		return c, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		rel, env, err := tx.changeRefs(ctx, &c)
		if err != nil {
			return err
		}
		c.Status, c.Revision, c.RequestedBy, c.CreatedAt, c.UpdatedAt = change.Draft, 1, a.User, tx.now, tx.now
		var id int64
		err = tx.queryRow(ctx, `INSERT INTO changes (title, type, release_id, env, change_model, risk_class, status, requested_by,
			planned_start, planned_end, deviations, rev, created_at, updated_at, risk_computed, risk_justification, risk_override_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id`,
			c.Title, c.Type, rel, env, c.ChangeModel, c.RiskClass, c.Status, c.RequestedBy, tsp(c.PlannedStart), tsp(c.PlannedEnd),
			jsonText(c.Deviations), c.Revision, ts(tx.now), ts(tx.now), c.RiskComputed, c.RiskJustification, c.RiskOverrideBy).Scan(&id)
		if err != nil {
			return err
		}
		c.ID = ident.Change.Format(id)
		return tx.auditEvent(ctx, "change.create", "change", c.ID, c.Revision, nil, c)
	})
	return c, err
}

// GetChange returns one change. Returns NotFound if there is none.
func (s *Store) GetChange(ctx context.Context, id int64) (change.Change, error) {
	c, _, err := scanChange(s.db.QueryRowContext(ctx, `SELECT `+changeCols+` FROM changes WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fault.NotFoundf("change %s not found", ident.Change.Format(id))
	}
	return c, errf(err, "get change")
}

// ChangeFilter selects changes for ListChanges; zero fields do not filter.
type ChangeFilter struct {
	Status  string
	Type    string
	Release int64
	Env     string
	Page
}

// ListChanges returns changes in id order after f.After, at most f.Limit.
func (s *Store) ListChanges(ctx context.Context, f ChangeFilter) ([]change.Change, error) {
	f.Page = f.Page.Norm()
	return s.listChanges(ctx, f, "id > ?", f.After, "id")
}

// listChanges reads the changes past the cursor (cursor with its value)
// that f selects, in order, at most f.Limit.
func (s *Store) listChanges(ctx context.Context, f ChangeFilter, cursor string, at int64, order string) ([]change.Change, error) {
	var w filter
	w.add(cursor, at)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Type != "" {
		w.add("type = ?", f.Type)
	}
	if f.Release != 0 {
		w.add("release_id = ?", f.Release)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+changeCols+` FROM changes`+w.where()+` ORDER BY `+order+` LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list changes")
	}
	defer rows.Close()
	out := []change.Change{}
	for rows.Next() {
		c, _, err := scanChange(rows)
		if err != nil {
			return nil, errf(err, "scan change")
		}
		out = append(out, c)
	}
	return out, errf(rows.Err(), "list changes")
}

// ChangeContext is what a change mutation may consult besides the record.
type ChangeContext struct {
	Now time.Time
}

// UpdateChange loads the change inside a write transaction, checks ifRev
// (0 skips the check), applies fn (the domain rule: an edit, a Move or a
// deviation) and saves the result with its audit event under action. A
// changed release or env is checked like on create; an approver named by a
// new deviation must be a user. Authorization (authorize → scheduled) needs
// the approvals that gate rule 8 requires (approval_guard.go): otherwise
// PreconditionFailed listing what is missing, and only the refusal's audit
// event is written. Nothing is written on any other error. Entering
// scheduled freezes the change's checklist (change_checklist.go).
func (s *Store) UpdateChange(ctx context.Context, a audit.Actor, id int64, ifRev int64, action string,
	fn func(c *change.Change, cc ChangeContext) error) (change.Change, error) {
	var c change.Change
	var refused error
	err := s.write(ctx, a, func(tx *Tx) error {
		before, _, err := scanChange(tx.queryRow(ctx, `SELECT `+changeCols+` FROM changes WHERE id = $1`+tx.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("change %s not found", ident.Change.Format(id))
		}
		if err != nil {
			return err
		}
		if err := checkRev("change "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		c = before
		c.Deviations = append([]change.Deviation{}, before.Deviations...)
		if err := fn(&c, ChangeContext{Now: tx.now}); err != nil {
			return err
		}
		if err := c.Validate(); err != nil {
			return err
		}
		rel, env, err := tx.changeRefs(ctx, &c)
		if err != nil {
			return err
		}
		if before.Status == change.Authorize && c.Status == change.Scheduled {
			if refused, err = tx.checkChangeAuthorized(ctx, before, c); err != nil || refused != nil {
				return err // a refusal commits its audit event only
			}
		}
		if len(c.Deviations) < len(before.Deviations) {
			return fault.Conflictf("deviations of %s are append-only", before.ID)
		}
		for _, d := range c.Deviations[len(before.Deviations):] {
			if err := tx.requireNames(ctx, "approved_by", "users", []string{d.ApprovedBy}); err != nil {
				return err
			}
		}
		c.ID, c.RequestedBy, c.CreatedAt = before.ID, before.RequestedBy, before.CreatedAt
		c.Revision, c.UpdatedAt = before.Revision+1, tx.now
		if before.Status != change.Scheduled && c.Status == change.Scheduled { // approved: freeze its checklist (change_checklist.go)
			if err := tx.freezeChecklist(ctx, id, c); err != nil {
				return err
			}
		}
		if err := tx.updateRev(ctx, "change "+before.ID, before.Revision, `UPDATE changes SET title = $1, type = $2, release_id = $3, env = $4, change_model = $5,
			risk_class = $6, status = $7, planned_start = $8, planned_end = $9, deviations = $10, rev = $11, updated_at = $12,
			risk_computed = $13, risk_justification = $14, risk_override_by = $15 WHERE id = $16 AND rev = $17`,
			c.Title, c.Type, rel, env, c.ChangeModel, c.RiskClass, c.Status, tsp(c.PlannedStart), tsp(c.PlannedEnd),
			jsonText(c.Deviations), c.Revision, ts(tx.now), c.RiskComputed, c.RiskJustification, c.RiskOverrideBy, id, before.Revision); err != nil {
			return err
		}
		return tx.auditEvent(ctx, action, "change", c.ID, c.Revision, before, c)
	})
	if err == nil && refused != nil {
		return change.Change{}, refused
	}
	return c, err
}

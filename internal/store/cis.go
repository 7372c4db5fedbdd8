package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/fault"
)

const ciCols = `name, kind, owner, criticality, description, rev, created_at, updated_at`

func scanCI(sc interface{ Scan(...any) error }) (ci.CI, error) {
	var c ci.CI
	err := sc.Scan(&c.Name, &c.Kind, &c.Owner, &c.Criticality, &c.Description, &c.Revision, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// CreateCI stores a CI after c.Validate. Returns Conflict if the name is
// taken, Invalid naming "depends_on" for an unknown dependency.
func (s *Store) CreateCI(ctx context.Context, a audit.Actor, c ci.CI) (ci.CI, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		c.Revision, c.CreatedAt, c.UpdatedAt = 1, tx.now, tx.now
		_, err := tx.exec(ctx, `INSERT INTO cis (name, kind, owner, criticality, description, rev, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, c.Name, c.Kind, c.Owner, c.Criticality, c.Description, c.Revision, ts(tx.now), ts(tx.now))
		if err != nil {
			return duplicateOf(err, "CI "+c.Name)
		}
		if err := tx.setCIDeps(ctx, c.Name, c.DependsOn); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "ci.create", "ci", c.Name, c.Revision, nil, c)
	})
	return c, err
}

func (tx *Tx) setCIDeps(ctx context.Context, name string, deps []string) error {
	if err := tx.requireNames(ctx, "depends_on", "cis", deps); err != nil {
		return err
	}
	if err := tx.bumpCatalogue(ctx); err != nil { // the gate's catalogue snapshot is stale
		return err
	}
	if _, err := tx.exec(ctx, `DELETE FROM ci_dependencies WHERE ci = $1`, name); err != nil {
		return err
	}
	for _, d := range deps {
		if _, err := tx.exec(ctx, `INSERT INTO ci_dependencies (ci, depends_on) VALUES ($1, $2)`, name, d); err != nil {
			return err
		}
	}
	return nil
}

func loadCIDeps(ctx context.Context, q querier, c *ci.CI) error {
	rows, err := q.QueryContext(ctx, `SELECT depends_on FROM ci_dependencies WHERE ci = $1 ORDER BY depends_on`, c.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	c.DependsOn = []string{}
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return err
		}
		c.DependsOn = append(c.DependsOn, d)
	}
	return rows.Err()
}

// GetCI returns one CI with its dependencies. Returns NotFound if there is none.
func (s *Store) GetCI(ctx context.Context, name string) (ci.CI, error) {
	c, err := scanCI(s.db.QueryRowContext(ctx, `SELECT `+ciCols+` FROM cis WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fault.NotFoundf("CI %q not found", name)
	}
	if err != nil {
		return c, errf(err, "get CI")
	}
	return c, errf(loadCIDeps(ctx, s.db, &c), "get CI")
}

// ListCIs returns CIs ordered by name after the cursor name.
func (s *Store) ListCIs(ctx context.Context, kind, after string, limit int) ([]ci.CI, error) {
	var w filter
	w.add("name > ?", after)
	if kind != "" {
		w.add("kind = ?", kind)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+ciCols+` FROM cis`+w.where()+` ORDER BY name LIMIT `+w.next(Page{Limit: limit}.Norm().Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list CIs")
	}
	out := []ci.CI{}
	for rows.Next() {
		c, err := scanCI(rows)
		if err != nil {
			rows.Close()
			return nil, errf(err, "scan CI")
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errf(err, "list CIs")
	}
	for i := range out {
		if err := loadCIDeps(ctx, s.db, &out[i]); err != nil {
			return nil, errf(err, "list CIs")
		}
	}
	return out, nil
}

// UpdateCI applies fn to the stored CI and saves it (see UpdateProblem for
// the contract). The name cannot change.
func (s *Store) UpdateCI(ctx context.Context, a audit.Actor, name string, ifRev int64, fn func(*ci.CI) error) (ci.CI, error) {
	var c ci.CI
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := scanCI(tx.queryRow(ctx, `SELECT `+ciCols+` FROM cis WHERE name = $1`+tx.forUpdate(), name))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("CI %q not found", name)
		}
		if err != nil {
			return err
		}
		if err := loadCIDeps(ctx, tx.tx, &before); err != nil {
			return err
		}
		if err := checkRev("CI "+name, before.Revision, ifRev); err != nil {
			return err
		}
		c = before
		c.DependsOn = append([]string{}, before.DependsOn...)
		if err := fn(&c); err != nil {
			return err
		}
		c.Name = before.Name
		if err := c.Validate(); err != nil {
			return err
		}
		c.Revision, c.UpdatedAt, c.CreatedAt = before.Revision+1, tx.now, before.CreatedAt
		if err := tx.updateRev(ctx, "CI "+name, before.Revision, `UPDATE cis SET kind = $1, owner = $2, criticality = $3, description = $4,
			rev = $5, updated_at = $6 WHERE name = $7 AND rev = $8`,
			c.Kind, c.Owner, c.Criticality, c.Description, c.Revision, ts(tx.now), c.Name, before.Revision); err != nil {
			return err
		}
		if err := tx.setCIDeps(ctx, c.Name, c.DependsOn); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "ci.update", "ci", c.Name, c.Revision, before, c)
	})
	return c, err
}

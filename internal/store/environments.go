package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/audit"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
)

const envCols = `name, tier, tags, windows, freezes, driver, rev, created_at, updated_at`

func scanEnv(sc interface{ Scan(...any) error }) (environment.Environment, error) {
	var e environment.Environment
	err := sc.Scan(&e.Name, &e.Tier, jsonCol{&e.Tags}, jsonCol{&e.Windows}, jsonCol{&e.Freezes}, &e.Driver, &e.Revision,
		timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt})
	return e, err
}

// CreateEnvironment stores an environment after e.Validate. Returns Conflict if the name is taken.
func (s *Store) CreateEnvironment(ctx context.Context, a audit.Actor, e environment.Environment) (environment.Environment, error) {
	if err := e.Validate(); err != nil {
		return e, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		e.Revision, e.CreatedAt, e.UpdatedAt = 1, tx.now, tx.now
		_, err := tx.exec(ctx, `INSERT INTO environments (name, tier, tags, windows, freezes, driver, rev, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Name, e.Tier, jsonText(e.Tags), jsonText(e.Windows), jsonText(e.Freezes),
			e.Driver, e.Revision, ts(tx.now), ts(tx.now))
		if err != nil {
			return duplicateOf(err, "environment "+e.Name)
		}
		return tx.auditEvent(ctx, "environment.create", "environment", e.Name, e.Revision, nil, e)
	})
	return e, err
}

// GetEnvironment returns one environment. Returns NotFound if there is none.
func (s *Store) GetEnvironment(ctx context.Context, name string) (environment.Environment, error) {
	e, err := scanEnv(s.db.QueryRowContext(ctx, `SELECT `+envCols+` FROM environments WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fault.NotFoundf("environment %q not found", name)
	}
	return e, errf(err, "get environment")
}

// ListEnvironments returns environments ordered by name after the cursor name.
func (s *Store) ListEnvironments(ctx context.Context, tier, after string, limit int) ([]environment.Environment, error) {
	var w filter
	w.add("name > ?", after)
	if tier != "" {
		w.add("tier = ?", tier)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+envCols+` FROM environments`+w.where()+` ORDER BY name LIMIT `+w.next(Page{Limit: limit}.Norm().Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list environments")
	}
	defer rows.Close()
	out := []environment.Environment{}
	for rows.Next() {
		e, err := scanEnv(rows)
		if err != nil {
			return nil, errf(err, "scan environment")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "list environments")
}

// UpdateEnvironment applies fn to the stored environment and saves it (see
// UpdateProblem for the contract). The name cannot change.
func (s *Store) UpdateEnvironment(ctx context.Context, a audit.Actor, name string, ifRev int64, fn func(*environment.Environment) error) (environment.Environment, error) {
	var e environment.Environment
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := scanEnv(tx.queryRow(ctx, `SELECT `+envCols+` FROM environments WHERE name = $1`+tx.forUpdate(), name))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("environment %q not found", name)
		}
		if err != nil {
			return err
		}
		if err := checkRev("environment "+name, before.Revision, ifRev); err != nil {
			return err
		}
		e = before
		if err := fn(&e); err != nil {
			return err
		}
		e.Name = before.Name
		if err := e.Validate(); err != nil {
			return err
		}
		e.Revision, e.UpdatedAt, e.CreatedAt = before.Revision+1, tx.now, before.CreatedAt
		if err := tx.updateRev(ctx, "environment "+name, before.Revision, `UPDATE environments SET tier = $1, tags = $2, windows = $3,
			freezes = $4, driver = $9, rev = $5, updated_at = $6 WHERE name = $7 AND rev = $8`,
			e.Tier, jsonText(e.Tags), jsonText(e.Windows), jsonText(e.Freezes), e.Revision, ts(tx.now), e.Name, before.Revision, e.Driver); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "environment.update", "environment", e.Name, e.Revision, before, e)
	})
	return e, err
}

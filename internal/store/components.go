package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

const componentCols = `id, ci, version, digest, status, dependencies, rev, created_by, created_at, updated_at`

func scanComponent(sc interface{ Scan(...any) error }) (ci.Version, int64, error) {
	var v ci.Version
	var id int64
	err := sc.Scan(&id, &v.CI, &v.Version, &v.Digest, &v.Status, jsonCol{&v.Dependencies}, &v.Revision, &v.CreatedBy,
		timeCol{&v.CreatedAt}, timeCol{&v.UpdatedAt})
	v.ID = ident.Component.Format(id)
	if v.Dependencies == nil {
		v.Dependencies = []ci.Dependency{}
	}
	for i := range v.Dependencies { // stored before dependency kinds existed
		if v.Dependencies[i].Kind == "" {
			v.Dependencies[i].Kind = ci.Calls
		}
	}
	return v, id, err
}

// CreateComponent stores a new component version in state "candidate"
// after v.Validate. Returns Invalid naming "ci" when the CI does not exist,
// "dependencies" when a dependency names an unknown CI or the version's own
// CI, and Conflict when CI@VERSION already exists.
func (s *Store) CreateComponent(ctx context.Context, a audit.Actor, v ci.Version) (ci.Version, error) {
	if err := v.Validate(); err != nil {
		return v, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.requireNames(ctx, "ci", "cis", []string{v.CI}); err != nil {
			return err
		}
		for i, d := range v.Dependencies {
			if d.CI == v.CI {
				return fault.Field("dependencies", "entry %d: %s cannot depend on itself", i, v.CI)
			}
			if err := tx.requireNames(ctx, "dependencies", "cis", []string{d.CI}); err != nil {
				return fault.Field("dependencies", "entry %d: CI %q does not exist", i, d.CI)
			}
		}
		var n int
		if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM component_versions WHERE ci = $1 AND version = $2`, v.CI, v.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return fault.Conflictf("component version %s@%s already exists", v.CI, v.Version)
		}
		v.Status, v.Revision, v.CreatedBy, v.CreatedAt, v.UpdatedAt = ci.Candidate, 1, a.User, tx.now, tx.now
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO component_versions (ci, version, digest, status, dependencies, rev, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			v.CI, v.Version, v.Digest, v.Status, jsonText(v.Dependencies), v.Revision, v.CreatedBy, ts(tx.now), ts(tx.now)).Scan(&id)
		if err != nil {
			return err
		}
		v.ID = ident.Component.Format(id)
		if err := tx.bumpCatalogue(ctx); err != nil { // the gate's catalogue snapshot is stale
			return err
		}
		return tx.auditEvent(ctx, "component.create", "component_version", v.ID, v.Revision, nil, v)
	})
	return v, err
}

// componentWhere returns the condition and argument selecting ref: "CV-n"
// (or a bare number) or "CI@VERSION". Returns Invalid naming field otherwise.
func componentWhere(field, ref string) (string, []any, error) {
	if strings.Contains(ref, "@") {
		name, ver, err := ci.ParseRef(field, ref)
		if err != nil {
			return "", nil, err
		}
		return `ci = $1 AND version = $2`, []any{name, ver}, nil
	}
	n, err := ident.Component.Parse(field, ref)
	if err != nil {
		return "", nil, fault.Field(field, "%q is neither a component version id (CV-n) nor CI@VERSION", ref)
	}
	return `id = $1`, []any{n}, nil
}

// getComponent reads the component version named by ref through q; lock
// is appended to the query (tx.forUpdate() before an update, else "").
func getComponent(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ref, lock string) (ci.Version, int64, error) {
	where, args, err := componentWhere("ref", ref)
	if err != nil {
		return ci.Version{}, 0, err
	}
	v, id, err := scanComponent(q.QueryRowContext(ctx, `SELECT `+componentCols+` FROM component_versions WHERE `+where+lock, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, 0, fault.NotFoundf("component version %s not found", ref)
	}
	return v, id, err
}

// GetComponent returns the component version named by ref ("CV-n" or
// "CI@VERSION"). Returns Invalid for a malformed ref, NotFound if there is none.
func (s *Store) GetComponent(ctx context.Context, ref string) (ci.Version, error) {
	v, _, err := getComponent(ctx, s.db, ref, "")
	return v, errf(err, "get component version")
}

// ComponentFilter selects component versions; zero fields do not filter.
type ComponentFilter struct {
	CI     string
	Status string
	Page
}

// ListComponents returns component versions in id order after f.After.
func (s *Store) ListComponents(ctx context.Context, f ComponentFilter) ([]ci.Version, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.CI != "" {
		w.add("ci = ?", f.CI)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+componentCols+` FROM component_versions`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list component versions")
	}
	defer rows.Close()
	out := []ci.Version{}
	for rows.Next() {
		v, _, err := scanComponent(rows)
		if err != nil {
			return nil, errf(err, "scan component version")
		}
		out = append(out, v)
	}
	return out, errf(rows.Err(), "list component versions")
}

// MoveComponent moves the component version named by ref to status
// through ci.VersionMachine, guarded by ifRev (0 skips the check). Returns
// NotFound, PreconditionFailed on a stale revision, Conflict for an illegal
// move; nothing is written on error.
func (s *Store) MoveComponent(ctx context.Context, a audit.Actor, ref string, ifRev int64, to string) (ci.Version, error) {
	var v ci.Version
	err := s.write(ctx, a, func(tx *Tx) error {
		before, id, err := getComponent(ctx, tx.tx, ref, tx.forUpdate())
		if err != nil {
			return err
		}
		if err := checkRev("component version "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		v = before
		if err := v.Move(to); err != nil {
			return err
		}
		v.Revision, v.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "component version "+before.ID, before.Revision,
			`UPDATE component_versions SET status = $1, rev = $2, updated_at = $3 WHERE id = $4 AND rev = $5`,
			v.Status, v.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		if err := tx.bumpCatalogue(ctx); err != nil { // the gate's catalogue snapshot is stale
			return err
		}
		return tx.auditEvent(ctx, "component.move", "component_version", v.ID, v.Revision, before, v)
	})
	return v, err
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
)

// StoredPolicy is one version of the policy file as the server keeps it.
// Version is the server's own sequence (1, 2, …); the file's "version" key
// is the user's and lives inside YAML.
type StoredPolicy struct {
	Version   int64     `json:"version"`
	YAML      string    `json:"yaml"`
	Hash      string    `json:"hash"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

const policyCols = `version, yaml, hash, created_by, created_at`

// CurrentPolicy returns the latest stored policy; ok is false when none was
// ever stored (the server then runs the built-in default).
func (s *Store) CurrentPolicy(ctx context.Context) (p StoredPolicy, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT `+policyCols+` FROM policies ORDER BY version DESC LIMIT 1`).
		Scan(&p.Version, &p.YAML, &p.Hash, &p.CreatedBy, timeCol{&p.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, errf(err, "current policy")
	}
	return p, true, nil
}

// GetPolicy returns one stored version. Returns NotFound if there is none.
func (s *Store) GetPolicy(ctx context.Context, version int64) (StoredPolicy, error) {
	var p StoredPolicy
	err := s.db.QueryRowContext(ctx, `SELECT `+policyCols+` FROM policies WHERE version = $1`, version).
		Scan(&p.Version, &p.YAML, &p.Hash, &p.CreatedBy, timeCol{&p.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return p, fault.NotFoundf("policy version %d not found", version)
	}
	return p, errf(err, "get policy")
}

// PolicyVersion returns the latest stored version number, 0 when none: the
// cheap check a replica runs to notice that another one stored a new policy.
func (s *Store) PolicyVersion(ctx context.Context) (int64, error) {
	var v sql.NullInt64
	err := s.queryRowHot(ctx, `SELECT MAX(version) FROM policies`).Scan(&v)
	return v.Int64, errf(err, "policy version")
}

// SavePolicy stores yaml (already parsed and valid: the caller checks it)
// as the next version, with its canonical hash, and audits the change with
// the hashes before and after. ifVersion, when not 0, must be the current
// version (412 otherwise). When hash equals the current version's hash
// nothing is stored and created is false: reloading the same file is not a
// new version.
func (s *Store) SavePolicy(ctx context.Context, a audit.Actor, yaml, hash string, ifVersion int64) (p StoredPolicy, created bool, err error) {
	err = s.write(ctx, a, func(tx *Tx) error {
		var cur StoredPolicy
		err := tx.queryRow(ctx, `SELECT `+policyCols+` FROM policies ORDER BY version DESC LIMIT 1`).
			Scan(&cur.Version, &cur.YAML, &cur.Hash, &cur.CreatedBy, timeCol{&cur.CreatedAt})
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err := checkRev("policy", cur.Version, ifVersion); err != nil {
			return err
		}
		if cur.Version > 0 && cur.Hash == hash {
			p = cur
			return nil
		}
		p = StoredPolicy{Version: cur.Version + 1, YAML: yaml, Hash: hash, CreatedBy: a.User, CreatedAt: tx.now}
		if _, err := tx.exec(ctx, `INSERT INTO policies (version, yaml, hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5)`,
			p.Version, p.YAML, p.Hash, p.CreatedBy, ts(p.CreatedAt)); err != nil {
			return err
		}
		created = true
		var before any
		if cur.Version > 0 {
			before = map[string]any{"version": cur.Version, "hash": cur.Hash}
		}
		return tx.auditEvent(ctx, "policy.update", "policy", "policy", p.Version, before,
			map[string]any{"version": p.Version, "hash": p.Hash})
	})
	return p, created, err
}

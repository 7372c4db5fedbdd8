package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/fault"
)

// UpdateComponent applies fn to the component version named by ref while
// it is a candidate, guarded by ifRev (0 skips the check): only the digest
// and the dependencies can change. Returns NotFound, PreconditionFailed on
// a stale revision, Conflict once it left candidate, Invalid naming
// "dependencies" for an unknown CI; nothing is written on error.
func (s *Store) UpdateComponent(ctx context.Context, a audit.Actor, ref string, ifRev int64, fn func(*ci.Version) error) (ci.Version, error) {
	var v ci.Version
	err := s.write(ctx, a, func(tx *Tx) error {
		before, id, err := getComponent(ctx, tx.tx, ref, tx.forUpdate())
		if err != nil {
			return err
		}
		if err := checkRev("component version "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		if err := before.CheckEditable(); err != nil {
			return err
		}
		v = before
		v.Dependencies = append([]ci.Dependency{}, before.Dependencies...)
		if err := fn(&v); err != nil {
			return err
		}
		v.CI, v.Version, v.Status = before.CI, before.Version, before.Status
		if err := v.Validate(); err != nil {
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
		v.Revision, v.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "component version "+before.ID, before.Revision, `UPDATE component_versions SET digest = $1,
			dependencies = $2, rev = $3, updated_at = $4 WHERE id = $5 AND rev = $6`,
			v.Digest, jsonText(v.Dependencies), v.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		if err := tx.bumpCatalogue(ctx); err != nil { // the gate's catalogue snapshot is stale
			return err
		}
		return tx.auditEvent(ctx, "component.update", "component_version", v.ID, v.Revision, before, v)
	})
	return v, err
}

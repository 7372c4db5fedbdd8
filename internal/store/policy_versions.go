package store

import (
	"context"
)

// ListPolicyVersions returns the stored policy versions newest first with
// version below before (0: from the newest), at most limit, without their
// text (GetPolicy reads one version's text).
func (s *Store) ListPolicyVersions(ctx context.Context, before int64, limit int) ([]StoredPolicy, error) {
	if before <= 0 {
		before = maxID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, hash, created_by, created_at FROM policies WHERE version < $1
		ORDER BY version DESC LIMIT $2`, before, Page{Limit: limit}.Norm().Limit)
	if err != nil {
		return nil, errf(err, "list policy versions")
	}
	defer rows.Close()
	out := []StoredPolicy{}
	for rows.Next() {
		var p StoredPolicy
		if err := rows.Scan(&p.Version, &p.Hash, &p.CreatedBy, timeCol{&p.CreatedAt}); err != nil {
			return nil, errf(err, "scan policy version")
		}
		out = append(out, p)
	}
	return out, errf(rows.Err(), "list policy versions")
}

package store

import (
	"context"

	"fixgate/internal/auth"
)

// ListTokens returns user's tokens (revoked ones too, never a secret or
// hash), newest first, with an id below before (0: from the newest), at
// most limit.
func (s *Store) ListTokens(ctx context.Context, user string, before int64, limit int) ([]auth.Token, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_name, label, created_at, revoked_at FROM tokens
		WHERE user_name = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, user, before, Page{Limit: limit}.Norm().Limit)
	if err != nil {
		return nil, errf(err, "list tokens")
	}
	defer rows.Close()
	out := []auth.Token{}
	for rows.Next() {
		var t auth.Token
		if err := rows.Scan(&t.ID, &t.User, &t.Label, timeCol{&t.CreatedAt}, nullTimeCol{&t.RevokedAt}); err != nil {
			return nil, errf(err, "scan token")
		}
		out = append(out, t)
	}
	return out, errf(rows.Err(), "list tokens")
}

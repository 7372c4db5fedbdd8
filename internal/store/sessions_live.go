package store

import (
	"context"
	"time"
)

// LiveCursor is where a page of live sessions continues: after the
// session that expires at ExpiresAt with id ID (zero: from the start).
type LiveCursor struct {
	ExpiresAt time.Time
	ID        int64
}

// LiveSessions returns the sessions that have not ended or expired, the
// latest to expire first (so the newest sign-ins first), after cursor c, at
// most limit. The partial index sessions_live holds only sessions not
// ended, so the read never touches the history of ended ones.
func (s *Store) LiveSessions(ctx context.Context, c LiveCursor, limit int) ([]Session, error) {
	limit = Page{Limit: limit}.Norm().Limit
	q := `SELECT ` + sessionCols + ` FROM sessions WHERE ended_at IS NULL AND expires_at > $1 ORDER BY expires_at DESC, id DESC LIMIT $2`
	args := []any{ts(s.Now()), limit}
	if c.ID > 0 {
		q = `SELECT ` + sessionCols + ` FROM sessions WHERE ended_at IS NULL AND expires_at > $1
			AND (expires_at < $2 OR (expires_at = $2 AND id < $3)) ORDER BY expires_at DESC, id DESC LIMIT $4`
		args = []any{ts(s.Now()), ts(c.ExpiresAt), c.ID, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errf(err, "live sessions")
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, errf(err, "scan session")
		}
		out = append(out, x)
	}
	return out, errf(rows.Err(), "live sessions")
}

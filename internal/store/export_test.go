package store

import "context"

// SetAfterStartGate sets a function run between a start's gate evaluation
// and its insert (nil: none).
func SetAfterStartGate(f func()) { afterStartGate = f }

// ReadHolding runs fn inside the store's read transaction (Store.read), as
// a report or closure check runs its queries.
func (s *Store) ReadHolding(ctx context.Context, fn func() error) error {
	return s.read(ctx, func(tx *Tx) error {
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM cis`).Scan(&n); err != nil {
			return err
		}
		return fn()
	})
}

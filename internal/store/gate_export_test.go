package store

import (
	"context"
	"database/sql"

	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

// GateInputEach gathers the gate input as GateInput does but runs every
// statement on its own, in a read-only transaction begun through
// database/sql (REPEATABLE READ on PostgreSQL): what GateInput's pgx
// batches must agree with.
func (s *Store) GateInputEach(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Input, map[string]int64, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return gate.Input{}, nil, err
	}
	defer tx.Rollback()
	g := &gatherer{s: s, r: eachRunner{tx}, revs: map[string]int64{}}
	in, err := g.gather(ctx, q, pol)
	return in, g.revs, err
}

// GateAloneRead gathers the gate input for q as GateInput does and returns
// the firing alerts without an incident that its statements read, before
// anything is kept or left out in Go.
func (s *Store) GateAloneRead(ctx context.Context, q GateQuery, pol *policy.Policy) ([]gate.Alert, error) {
	g := &gatherer{s: s, revs: map[string]int64{}}
	err := s.readGate(ctx, func(r stmtRunner) error {
		g.r = r
		_, err := g.gather(ctx, q, pol)
		return err
	})
	return g.alone, err
}

package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/problem"
)

// UpdateProblems applies fn to each problem of ids in one transaction, all
// or nothing, each exactly as UpdateProblem does without a revision check
// (the domain rule in fn, validation, revision bump, audit event under
// action): for bulk loads (demo data, benchmarks). The error's field is
// "problems" and its message names the failing entry ("entry 3: ...");
// nothing is written on error.
func (s *Store) UpdateProblems(ctx context.Context, a audit.Actor, ids []int64, action string,
	fn func(p *problem.Problem, c ProblemContext) error) ([]problem.Problem, error) {
	out := make([]problem.Problem, len(ids))
	err := s.write(ctx, a, func(tx *Tx) error {
		for i, id := range ids {
			var err error
			if out[i], err = tx.updateProblem(ctx, id, 0, action, fn); err != nil {
				return fault.In("problems", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

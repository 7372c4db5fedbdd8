package store

import (
	"context"

	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

// DryRunGate judges q against pol as EvaluateGate does (the input gathered
// by GateInput, gate.Evaluate at the store's now) but records nothing: no
// evaluation, no audit event, no notice. Pages use it to show what the gate
// would answer: a release's verdict for each environment, the policy page's
// dry run at any time and under any stored policy version. The records are
// read as they stand now; q.At is the deployment time the rules judge
// (windows, freezes, the versions live at that time). Returns NotFound
// naming the release or the environment.
func (s *Store) DryRunGate(ctx context.Context, q GateQuery, pol *policy.Policy) (gate.Verdict, error) {
	in, _, err := s.GateInput(ctx, q, pol)
	if err != nil {
		return gate.Verdict{}, err
	}
	return gate.Evaluate(pol, in, s.Now()), nil
}

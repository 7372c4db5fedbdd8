package store

import (
	"context"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
)

// MayApprove says whether a.User, acting in a.Role, may decide about record
// (REL-n or CHG-n) now: nil when CreateApproval would accept their decision
// at the record's current revision, else the error it would answer, from
// the same rules over the same facts: Invalid for a role that cannot
// approve, NotFound, Conflict for a record that can no longer change
// course, Forbidden for separation of duties (approval.CheckSoD; an admin's
// bypass under an approved deviation counts as allowed, as it does there).
// It writes nothing, not even an audit event: pages ask it before they
// offer a decision form, and explain a refusal instead.
func (s *Store) MayApprove(ctx context.Context, a audit.Actor, record string) error {
	x := approval.Approval{Record: record, Decision: approval.Approve, Approver: a.User, Role: a.Role}
	if err := x.Validate(); err != nil {
		return err
	}
	return s.snapshot(ctx, func(tx *Tx) error { return tx.approvalRefusal(ctx, a, x) })
}

// approvalRefusal applies the checks of createApproval but the revision to
// x (validated) in tx, and returns the first refusal.
func (tx *Tx) approvalRefusal(ctx context.Context, a audit.Actor, x approval.Approval) error {
	_, status, facts, err := tx.approvalFacts(ctx, x.RecordType, x.Record)
	if err != nil {
		return err
	}
	if err := approval.CheckOpen(x.RecordType, x.Record, status); err != nil {
		return err
	}
	_, err = tx.sodBypass(ctx, a, x, facts)
	return err
}

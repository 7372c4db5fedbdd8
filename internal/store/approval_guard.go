package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/release"
)

// A release reaches approved, and a normal or emergency change leaves
// authorize for scheduled, only by its approvals: UpdateRelease and
// UpdateChange ask approvalGap before such a move, inside their
// transaction, with gate rule 8 (gate.ApprovalsMissing) over the gate's own
// input and the policy in force. There is no automatic move when the last
// approval arrives: the move stays an explicit request that the server checks.

// policyInForce reads the latest stored policy (the one the server runs;
// it stores its start policy before first use), or the built-in default
// when none was ever stored.
func (tx *Tx) policyInForce(ctx context.Context) (*policy.Policy, error) {
	var text string
	err := tx.queryRow(ctx, `SELECT yaml FROM policies ORDER BY version DESC LIMIT 1`).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return policy.Default(), nil
	}
	if err != nil {
		return nil, err
	}
	pol, err := policy.Parse([]byte(text))
	if err != nil {
		return nil, fault.Wrap(err, "the stored policy does not parse")
	}
	return pol, nil
}

// approvalGap returns what rule 8 finds missing for the release rel
// deployed to env ("" when no environment is known: its tier then plays no
// part in the risk class), with change chg (CHG-n or "") as the change the
// gate must see. Returns PreconditionFailed when the gate would judge
// another change of the release for env.
func (tx *Tx) approvalGap(ctx context.Context, rel int64, env, chg string) ([]string, error) {
	pol, err := tx.policyInForce(ctx)
	if err != nil {
		return nil, err
	}
	in, err := tx.gateInput(ctx, GateQuery{Release: rel, Env: env, At: tx.now}, pol)
	if err != nil {
		return nil, err
	}
	if chg != "" && (in.Change == nil || in.Change.ID != chg) {
		newer := "none"
		if in.Change != nil {
			newer = in.Change.ID
		}
		return nil, fault.New(fault.PreconditionFailed, "the gate judges %s for %s in %s, not %s: cancel the other change first", newer,
			ident.Release.Format(rel), env, chg)
	}
	return gate.ApprovalsMissing(pol, in, tx.now), nil
}

// releaseApprovalEnv returns the environment of the newest open change of
// release rel that names one ("" if none does).
func (tx *Tx) releaseApprovalEnv(ctx context.Context, rel int64) (string, error) {
	var env string
	err := tx.queryRow(ctx, `SELECT env FROM changes WHERE release_id = $1 AND env IS NOT NULL AND status NOT IN ($2, $3, $4)
		ORDER BY id DESC LIMIT 1`, rel, change.Closed, change.Canceled, change.Failed).Scan(&env)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return env, err
}

// refuseUnapproved records the refusal of a move of record (REL-n, CHG-n)
// to status for want of approvals, with what is missing, and returns the
// PreconditionFailed error the caller answers after the transaction commits
// (the refusal is audited; nothing else is written).
func (tx *Tx) refuseUnapproved(ctx context.Context, recordType, record string, rev int64, status string, missing []string) (refusal, err error) {
	detail := map[string]any{"record": record, "to": status, "missing": missing}
	if err := tx.auditEvent(ctx, recordType+".move_refused", recordType, record, rev, nil, detail); err != nil {
		return nil, err
	}
	return &fault.Error{Code: fault.PreconditionFailed,
		Message: record + " cannot move to " + status + " without the approvals its risk class requires: " + strings.Join(missing, "; "),
		Extra:   map[string]any{"rule": gate.RuleApprovals, "missing": missing}}, nil
}

// checkReleaseApproved refuses (audited) the move of release id, now
// before, to approved unless rule 8 finds its approvals complete for the
// environment of its newest open change (none: no environment).
func (tx *Tx) checkReleaseApproved(ctx context.Context, id int64, before release.Release) (refusal, err error) {
	env, err := tx.releaseApprovalEnv(ctx, id)
	if err != nil {
		return nil, err
	}
	missing, err := tx.approvalGap(ctx, id, env, "")
	if err != nil || len(missing) == 0 {
		return nil, err
	}
	return tx.refuseUnapproved(ctx, "release", before.ID, before.Revision, release.Approved, missing)
}

// checkChangeAuthorized refuses (audited) the move of change c from
// authorize to scheduled unless it names its release and environment and
// rule 8 finds the approvals of that deployment complete.
func (tx *Tx) checkChangeAuthorized(ctx context.Context, before, c change.Change) (refusal, err error) {
	var missing []string
	if c.Release == "" || c.Env == "" {
		missing = []string{"name the release and the environment first: approvals are counted for that deployment"}
	} else {
		rel, _ := ident.Release.Parse("release", c.Release)
		if missing, err = tx.approvalGap(ctx, rel, c.Env, c.ID); err != nil {
			return nil, err
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return tx.refuseUnapproved(ctx, "change", before.ID, before.Revision, c.Status, missing)
}

package problem

import (
	"slices"
	"strings"
	"time"

	"fixgate/internal/fault"
)

// MaxDeviationReason bounds the reason of a deviation.
const MaxDeviationReason = 4000

// Facts are what a move to resolved consults besides the record; the store
// loads them. Exactly one of Fix and Deviation is set.
type Facts struct {
	// Fix is the deployment (DEP-n) of a problem-fix release resolving the
	// problem that succeeded in a production environment after the
	// problem's last recurrence: the store passes the deployment whose
	// move to succeeded it is recording.
	Fix string
	// Deviation documents a hand move to resolved without such a fix.
	Deviation *Deviation
}

// Deviation documents a hand move to resolved: why, and which problem
// manager approved skipping the production fix.
type Deviation struct {
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
	// ApproverRoles are the approver's roles, loaded by the store.
	ApproverRoles []string `json:"-"`
}

// Resolve moves a problem in fix_in_progress to resolved for user at now
// and starts the observation period. The move needs either a fix that
// succeeded in production (f.Fix) or a deviation (f.Deviation) with a
// reason, approved by a problem_manager other than user; a hand move also
// needs a validated RCA (after a recurrence withdrew the validation, a new
// one). Returns Conflict for an illegal move, Invalid naming
// "deviation.reason" or "deviation.approved_by", Forbidden when the
// approver is user or no problem_manager, and PreconditionFailed when
// neither fact holds or the RCA is not validated.
func (p *Problem) Resolve(user string, now time.Time, observation time.Duration, f Facts) error {
	if err := Machine.Check(p.Status, Resolved); err != nil {
		return err
	}
	if f.Fix == "" {
		if err := p.checkDeviation(user, f.Deviation); err != nil {
			return err
		}
	}
	p.ResolvedBy = user
	p.ResolvedAt = &now
	until := now.Add(observation)
	p.ObservationUntil = &until
	p.Status = Resolved
	return nil
}

func (p *Problem) checkDeviation(user string, d *Deviation) error {
	if d == nil {
		return fault.New(fault.PreconditionFailed, "no problem-fix release resolving %s has succeeded in production since its last recurrence; "+
			"a hand move to resolved needs a deviation (reason, approved_by: another problem_manager)", p.ID)
	}
	d.Reason = strings.TrimSpace(d.Reason)
	if d.Reason == "" {
		return fault.Field("deviation.reason", "is required")
	}
	if len(d.Reason) > MaxDeviationReason {
		return fault.Field("deviation.reason", "is longer than %d characters", MaxDeviationReason)
	}
	if d.ApprovedBy == "" {
		return fault.Field("deviation.approved_by", "is required")
	}
	if d.ApprovedBy == user {
		return fault.Forbiddenf("%s requested this deviation and cannot approve it: another problem_manager approves it", user)
	}
	if !slices.Contains(d.ApproverRoles, "problem_manager") {
		return fault.Forbiddenf("%s is not a problem_manager and cannot approve a deviation that resolves a problem", d.ApprovedBy)
	}
	if !p.RCA.Validated() {
		return fault.New(fault.PreconditionFailed, "the root cause analysis of %s is not validated (a recurrence withdraws the validation): "+
			"validate it, or resolve through a new release that succeeds in production", p.ID)
	}
	return nil
}

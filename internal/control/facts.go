package control

import "time"

// Facts are the records the store read for one period; Assess decides.
type Facts struct {
	// DeploymentCount counts the deployments to production environments
	// started in the period (gate_and_change's sample); GatedCount those of
	// them with a gate evaluation before their start (approvals_by_risk's).
	DeploymentCount int `json:"deployment_count"`
	GatedCount      int `json:"gated_count"`
	// Deployments are those deployments, in id order; a store may leave out
	// each that can break none of gate_and_change, approvals_by_risk and
	// deviations_approved (MayBreak false), so that a period's 100k
	// deployments are counted, not listed.
	Deployments []Deployment `json:"deployments"`
	// FixCount counts the pairs of those deployments and each problem their
	// release resolves; Fixes are those pairs whose RCA was not validated
	// before the start (a store may leave out the others: they cannot break
	// rca_before_deploy).
	FixCount int   `json:"fix_count"`
	Fixes    []Fix `json:"fixes"`
	// Approvals counts the approve decisions given in the period;
	// SelfApprovals are those given by the release's creator or the change's requester.
	Approvals     int            `json:"approvals"`
	SelfApprovals []SelfApproval `json:"self_approvals"`
	// Fixed are the problems whose fix was deployed (resolved) in the period.
	Fixed []FixedProblem `json:"fixed"`
	// Closed are the problems closed in the period.
	Closed []Closure  `json:"closed"`
	Audit  AuditCheck `json:"audit"`
	// Evidence are the rca, test_report and rollback_plan artifacts of the
	// releases of Deployments.
	Evidence []Evidence `json:"evidence"`
}

// Deployment is a production deployment as the controls see it.
type Deployment struct {
	ID           string `json:"id"` // DEP-n
	Release      string `json:"release"`
	Env          string `json:"env"`
	Change       string `json:"change"` // CHG-n, "" when none
	ChangeStatus string `json:"change_status"`
	// Gate is the newest gate evaluation of the release for the environment
	// at or before the start (GATE-n, "" when none), with its decision and
	// the verdict's worst result for rule approvals.
	Gate         string `json:"gate"`
	GateDecision string `json:"gate_decision"`
	Approvals    string `json:"approvals"`
	// Deviations are the change's recorded deviations.
	Deviations []Deviation `json:"deviations"`
}

// Deviation is a skipped standard step recorded on a change.
type Deviation struct {
	Step       string `json:"step_skipped"`
	Reason     string `json:"reason"`
	ApprovedBy string `json:"approved_by"`
}

// Fix is one problem a production deployment's release resolves, with the
// time its RCA was first validated (nil: never, or every validation withdrawn).
type Fix struct {
	Deployment string     `json:"deployment"`
	Problem    string     `json:"problem"`
	StartedAt  time.Time  `json:"started_at"`
	Validated  *time.Time `json:"validated,omitempty"`
}

// SelfApproval is an approval by someone with a part in what they approved.
type SelfApproval struct {
	Approval string `json:"approval"` // APR-n
	Record   string `json:"record"`   // REL-n or CHG-n
	Approver string `json:"approver"`
	As       string `json:"as"` // created the release, requested the change
}

// FixedProblem is a problem resolved in the period, and its PIR ("" none).
type FixedProblem struct {
	Problem string `json:"problem"`
	PIR     string `json:"pir"`
}

// Closure is a problem closed in the period and the end of its observation period.
type Closure struct {
	Problem          string     `json:"problem"`
	ClosedAt         time.Time  `json:"closed_at"`
	ObservationUntil *time.Time `json:"observation_until,omitempty"`
}

// AuditCheck is the verification of the audit chain against the latest
// signed checkpoint: the chain's size, the checkpoint's size (0: none) and
// what broke ("" when it verified).
type AuditCheck struct {
	Events     int64  `json:"events"`
	Checkpoint int64  `json:"checkpoint"`
	Broken     string `json:"broken"`
}

// Evidence is an evidence artifact of a deployed release and its retention class.
type Evidence struct {
	Release   string `json:"release"`
	Kind      string `json:"kind"`
	SHA256    string `json:"sha256"`
	Retention string `json:"retention"`
}

// Package rollout decides what a deployment does next: run its driver's
// action, measure a check, wait, ask the gate before a promotion, promote,
// pause for a person, roll back, succeed, verify after the watch. Next is a
// pure function of the facts the store loaded and of now; the runner
// (internal/engine) carries the decision out and asks again.
package rollout

import (
	"fmt"
	"strings"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
)

// Kinds of action: what the driver is asked to do (the same names as
// ActionDeploy, Promote, Rollback and Abort, which the store and this
// package do not import: the driver package is an adapter that makes
// outgoing requests).
const (
	ActionDeploy   = "deploy"
	ActionPromote  = "promote"
	ActionRollback = "rollback"
	ActionAbort    = "abort"
)

// Statuses of an action.
const (
	ActionPending   = "pending"
	ActionRunning   = "running"
	ActionSucceeded = "succeeded"
	ActionFailed    = "failed"
)

// Action is the state of one driver action of a deployment.
type Action struct {
	Seq           int64      `json:"seq"`
	Kind          string     `json:"kind"` // ActionDeploy, ActionPromote, ActionRollback, ActionAbort
	Stage         int        `json:"stage"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// Check is the state of one check of the current stage (or of the watch),
// as analysis judged it from its measurements: analysis.Running (Due says
// when it wants its next measurement, nil: none), Passed, Failing or Paused.
type Check struct {
	Template string     `json:"template"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // prometheus, recurrence, incidents
	State    string     `json:"state"`
	Due      *time.Time `json:"due,omitempty"`
	Reason   string     `json:"reason,omitempty"`
	// EvidenceAt is when the measurement that failed it was taken.
	EvidenceAt *time.Time `json:"evidence_at,omitempty"`
}

// Key names a check in causes and measurements: TEMPLATE/NAME.
func (c Check) Key() string { return c.Template + "/" + c.Name }

// GateVerdict is a gate evaluation taken for a pending promotion.
type GateVerdict struct {
	ID       string
	Decision string
	Failing  []string // "rule: reason" of each failing line, in order
}

// Facts are what Next decides from.
type Facts struct {
	Deployment deploy.Deployment
	Action     *Action // the latest action (highest seq), nil: none
	Reported   bool    // the driver is `reported`: the user's pipeline reports each action
	Checks     []Check // the current stage's checks; while succeeded, the watch's
	Gate       *GateVerdict
	// RestoredChecked: after a rollback, the checks ran once against the
	// restored version.
	RestoredChecked bool
	Watch           time.Duration // the window after 100 % (Watch())
}

// Kinds of decision. The waits (WaitReport, WaitUntil, AwaitPromote, Done)
// end a step: the runner stores Until as the next step time (zero: only an
// event wakes it).
const (
	RunAction      = "run_action"
	WaitReport     = "wait_report"
	Measure        = "measure"
	WaitUntil      = "wait_until"
	AwaitPromote   = "await_promote"
	EvaluateGate   = "evaluate_gate"
	Promote        = "promote"
	Pause          = "pause"
	Rollback       = "rollback"
	Succeed        = "succeed"
	Verify         = "verify"
	CheckRestored  = "check_restored"
	FinishRollback = "finish_rollback"
	Done           = "done"
)

// Decision is what to do next.
type Decision struct {
	Kind   string
	Action *Action   // RunAction, WaitReport: the action
	Check  string    // Measure: the check's Key
	Until  time.Time // waits: when to look again (zero: on an event only)
	Reason string    // Pause: why; Rollback: the cause
	At     time.Time // Rollback: the evidence's time; Succeed: the watch's end
}

// Waits reports whether d ends the step.
func (d Decision) Waits() bool {
	switch d.Kind {
	case WaitReport, WaitUntil, AwaitPromote, Done:
		return true
	}
	return false
}

// Next decides the deployment's next step at now.
func Next(f Facts, now time.Time) Decision {
	switch f.Deployment.Status {
	case deploy.Running:
		return running(f, now)
	case deploy.Paused:
		return Decision{Kind: AwaitPromote, Reason: f.Deployment.PauseReason}
	case deploy.RollingBack:
		return rollingBack(f, now)
	case deploy.Succeeded:
		return watching(f, now)
	case deploy.Aborted:
		if a := f.Action; a != nil && a.Kind == ActionAbort && a.Status != ActionSucceeded && a.Status != ActionFailed {
			return runOrWait(f, a, now)
		}
	}
	return Decision{Kind: Done}
}

// runOrWait runs a (or waits for its report, or for its retry time).
func runOrWait(f Facts, a *Action, now time.Time) Decision {
	if a.NextAttemptAt != nil && now.Before(*a.NextAttemptAt) {
		return Decision{Kind: WaitUntil, Until: *a.NextAttemptAt, Action: a}
	}
	if f.Reported {
		return Decision{Kind: WaitReport, Action: a}
	}
	return Decision{Kind: RunAction, Action: a}
}

func running(f Facts, now time.Time) Decision {
	d := f.Deployment
	a := f.Action
	if a == nil || a.Stage != d.CurrentStage || (a.Kind != ActionDeploy && a.Kind != ActionPromote) {
		return Decision{Kind: Pause, Reason: fmt.Sprintf("no %s action is queued for stage %s", ActionDeploy, d.Stage().Name)}
	}
	switch a.Status {
	case ActionPending, ActionRunning:
		return runOrWait(f, a, now)
	case ActionFailed:
		at := now
		if a.FinishedAt != nil {
			at = *a.FinishedAt
		}
		return Decision{Kind: Rollback, At: at, Reason: fmt.Sprintf("driver: %s of stage %s failed", a.Kind, d.Stage().Name)}
	}
	// A person's promote answers an inconclusive pause (the checks that
	// paused it are still inconclusive); a failed check still rolls back.
	if dec, stop := judge(f.Checks, now, !d.PromoteRequested); stop {
		return dec
	}
	if d.PromoteRequested {
		return promote(f, now)
	}
	last := d.CurrentStage == len(d.Path)-1
	st := d.Stage()
	if st.Duration == 0 {
		if last {
			return succeed(f, now)
		}
		return measureOr(f.Checks, now, Decision{Kind: AwaitPromote, Reason: "stage " + st.Name + " waits for `deploy promote`"})
	}
	start := now
	if d.StageStartedAt != nil {
		start = *d.StageStartedAt
	}
	end := start.Add(time.Duration(st.Duration))
	if !now.Before(end) {
		if dec := measureOr(f.Checks, now, Decision{}); dec.Kind == Measure {
			return dec // a check still due (none taken yet) is measured before the stage ends
		}
		if last {
			return succeed(f, now)
		}
		return promote(f, now)
	}
	return measureOr(f.Checks, now, Decision{Kind: WaitUntil, Until: end})
}

// judge returns Rollback for the first failing check and, when pause is
// set, Pause for the first check whose inconclusive measurements exceeded
// its limit.
func judge(checks []Check, now time.Time, pause bool) (Decision, bool) {
	for _, c := range checks {
		if c.State == analysis.Failing {
			at := now
			if c.EvidenceAt != nil {
				at = *c.EvidenceAt
			}
			return Decision{Kind: Rollback, At: at, Reason: "check " + c.Key() + " failed" + colon(c.Reason)}, true
		}
	}
	for _, c := range checks {
		if pause && c.State == analysis.Paused {
			return Decision{Kind: Pause, Reason: "check " + c.Key() + " is inconclusive" + colon(c.Reason) + "; promote or roll back"}, true
		}
	}
	return Decision{}, false
}

func colon(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// measureOr returns Measure for the first check due at now, else wait with
// its Until moved to the earliest due time.
func measureOr(checks []Check, now time.Time, wait Decision) Decision {
	for _, c := range checks {
		if c.State == analysis.Running && c.Due != nil && !now.Before(*c.Due) {
			return Decision{Kind: Measure, Check: c.Key()}
		}
	}
	for _, c := range checks {
		if c.State == analysis.Running && c.Due != nil && (wait.Until.IsZero() || c.Due.Before(wait.Until)) {
			wait.Until = *c.Due
		}
	}
	return wait
}

// promote moves to the next stage once a fresh gate evaluation allows it;
// at the last stage a promotion is the success.
func promote(f Facts, now time.Time) Decision {
	d := f.Deployment
	if d.CurrentStage == len(d.Path)-1 {
		return succeed(f, now)
	}
	if f.Gate == nil {
		return Decision{Kind: EvaluateGate}
	}
	if f.Gate.Decision != gate.Allowed {
		why := f.Gate.Failing
		if len(why) > 3 {
			why = why[:3]
		}
		return Decision{Kind: Pause, Reason: fmt.Sprintf("gate %s is %s before %s: %s", f.Gate.ID, f.Gate.Decision,
			d.Path[d.CurrentStage+1].Name, strings.Join(why, "; "))}
	}
	return Decision{Kind: Promote, Reason: f.Gate.ID}
}

func succeed(f Facts, now time.Time) Decision {
	return Decision{Kind: Succeed, At: now.Add(f.Watch)}
}

func rollingBack(f Facts, now time.Time) Decision {
	a := f.Action
	if a == nil || a.Kind != ActionRollback {
		return Decision{Kind: Pause, Reason: "no rollback action is queued"}
	}
	if a.Status != ActionSucceeded {
		return runOrWait(f, a, now)
	}
	if !f.RestoredChecked {
		return Decision{Kind: CheckRestored}
	}
	return Decision{Kind: FinishRollback}
}

// watching: after 100 % the recurrence and incident checks keep running
// until the watch window ends; a failure rolls back at once (fast path:
// one rollback action, no stages).
func watching(f Facts, now time.Time) Decision {
	d := f.Deployment
	if d.VerifiedAt != nil || d.WatchUntil == nil {
		return Decision{Kind: Done}
	}
	if dec, stop := judge(f.Checks, now, false); stop {
		return dec
	}
	if !now.Before(*d.WatchUntil) {
		return Decision{Kind: Verify}
	}
	return measureOr(f.Checks, now, Decision{Kind: WaitUntil, Until: *d.WatchUntil})
}

// InWatch reports whether checks of kind keep running in the watch window.
func InWatch(kind string) bool { return kind == "recurrence" || kind == "incidents" }

// Backoff is the wait before retry n (1-based) of a failed rollback: 1 s
// doubling up to 60 s.
func Backoff(attempt int) time.Duration {
	d := time.Second
	for i := 1; i < attempt && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

package rollout

import (
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

var twoStages = []deploy.Stage{{Name: "canary", Weight: 10, Duration: policy.Duration(time.Minute)}, {Name: "full", Weight: 100, Duration: policy.Duration(time.Minute)}}

func dep(status string, stage int, mod func(*deploy.Deployment)) deploy.Deployment {
	path := append([]deploy.Stage(nil), twoStages...)
	d := deploy.Deployment{ID: "DEP-1", Status: status, Path: path, CurrentStage: stage, StageStartedAt: at(0)}
	if mod != nil {
		mod(&d)
	}
	return d
}

func act(kind, status string, stage int) *Action {
	return &Action{Seq: 1, Kind: kind, Stage: stage, Status: status}
}

func TestNext(t *testing.T) {
	running := analysis.Running
	due := func(d time.Duration, kind string) Check {
		return Check{Template: "t", Name: "c", Kind: kind, State: running, Due: at(d)}
	}
	tests := []struct {
		name   string
		f      Facts
		now    time.Duration
		kind   string
		until  time.Duration // -1: zero
		reason string
	}{
		{"pending does nothing", Facts{Deployment: dep(deploy.Pending, 0, nil)}, 0, Done, -1, ""},
		{"blocked does nothing", Facts{Deployment: dep(deploy.Blocked, 0, nil)}, 0, Done, -1, ""},
		{"deploy action queued", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionPending, 0)}, 0, RunAction, -1, ""},
		{"interrupted action re-runs", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionRunning, 0)}, 0, RunAction, -1, ""},
		{"reported driver waits", Facts{Deployment: dep(deploy.Running, 0, nil), Reported: true, Action: act(driver.Deploy, ActionPending, 0)}, 0, WaitReport, -1, ""},
		{"failed deploy rolls back", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionFailed, 0)}, 0, Rollback, -1, "driver: deploy of stage canary failed"},
		{"missing action pauses", Facts{Deployment: dep(deploy.Running, 1, nil), Action: act(driver.Deploy, ActionSucceeded, 0)}, 0, Pause, -1, "no deploy action is queued for stage full"},
		{"check due is measured", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{due(10*time.Second, "prometheus")}}, 10 * time.Second, Measure, -1, ""},
		{"waits for the next measurement", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{due(20*time.Second, "prometheus")}}, 10 * time.Second, WaitUntil, 20 * time.Second, ""},
		{"waits for the stage's end", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{{Template: "t", Name: "c", State: analysis.Passed}}}, 10 * time.Second, WaitUntil, time.Minute, ""},
		{"failed check rolls back", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{{Template: "t", Name: "c", State: analysis.Failing, Reason: "error rate 5", EvidenceAt: at(5 * time.Second)}}},
			10 * time.Second, Rollback, -1, "check t/c failed: error rate 5"},
		{"failure wins over inconclusive", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{{Template: "t", Name: "a", State: analysis.Paused}, {Template: "t", Name: "b", State: analysis.Failing}}},
			0, Rollback, -1, "check t/b failed"},
		{"inconclusive pauses", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Checks: []Check{{Template: "t", Name: "a", State: analysis.Paused, Reason: "no data"}}},
			0, Pause, -1, "check t/a is inconclusive: no data; promote or roll back"},
		{"stage over: ask the gate", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0)}, time.Minute, EvaluateGate, -1, ""},
		{"gate allows: promote", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Gate: &GateVerdict{ID: "GATE-2", Decision: gate.Allowed}}, time.Minute, Promote, -1, "GATE-2"},
		{"gate blocks: pause", Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0),
			Gate: &GateVerdict{ID: "GATE-2", Decision: gate.Blocked, Failing: []string{"open_problems: PRB-9 is open"}}}, time.Minute, Pause, -1,
			"gate GATE-2 is blocked before full: open_problems: PRB-9 is open"},
		{"promote requested skips the wait", Facts{Deployment: dep(deploy.Running, 0, func(d *deploy.Deployment) { d.PromoteRequested = true }),
			Action: act(driver.Deploy, ActionSucceeded, 0)}, time.Second, EvaluateGate, -1, ""},
		{"promote requested still rolls back on failure", Facts{Deployment: dep(deploy.Running, 0, func(d *deploy.Deployment) { d.PromoteRequested = true }),
			Action: act(driver.Deploy, ActionSucceeded, 0), Checks: []Check{{Template: "t", Name: "c", State: analysis.Failing}}}, time.Second, Rollback, -1, "check t/c failed"},
		{"duration 0 awaits promote", Facts{Deployment: dep(deploy.Running, 0, func(d *deploy.Deployment) { d.Path[0].Duration = 0 }),
			Action: act(driver.Deploy, ActionSucceeded, 0)}, time.Hour, AwaitPromote, -1, "stage canary waits for `deploy promote`"},
		{"awaiting promote still measures", Facts{Deployment: dep(deploy.Running, 0, func(d *deploy.Deployment) { d.Path[0].Duration = 0 }),
			Action: act(driver.Deploy, ActionSucceeded, 0), Checks: []Check{due(2*time.Hour, "recurrence")}}, time.Hour, AwaitPromote, 2 * time.Hour, ""},
		{"last stage over: succeed", Facts{Deployment: dep(deploy.Running, 1, nil), Action: act(driver.Promote, ActionSucceeded, 1), Watch: time.Hour},
			time.Minute, Succeed, -1, ""},
		{"last stage duration 0: succeed", Facts{Deployment: dep(deploy.Running, 1, func(d *deploy.Deployment) { d.Path[1].Duration = 0 }),
			Action: act(driver.Promote, ActionSucceeded, 1)}, 0, Succeed, -1, ""},
		{"promote at last stage succeeds", Facts{Deployment: dep(deploy.Running, 1, func(d *deploy.Deployment) { d.PromoteRequested = true }),
			Action: act(driver.Promote, ActionSucceeded, 1)}, time.Second, Succeed, -1, ""},
		{"paused waits for a person", Facts{Deployment: dep(deploy.Paused, 0, func(d *deploy.Deployment) { d.PauseReason = "x" })}, 0, AwaitPromote, -1, "x"},
		{"rollback queued runs", Facts{Deployment: dep(deploy.RollingBack, 0, nil), Action: act(driver.Rollback, ActionPending, 0)}, 0, RunAction, -1, ""},
		{"rollback failed waits for its retry", Facts{Deployment: dep(deploy.RollingBack, 0, nil),
			Action: &Action{Kind: driver.Rollback, Status: ActionFailed, NextAttemptAt: at(4 * time.Second)}}, time.Second, WaitUntil, 4 * time.Second, ""},
		{"rollback failed retries when due", Facts{Deployment: dep(deploy.RollingBack, 0, nil),
			Action: &Action{Kind: driver.Rollback, Status: ActionFailed, NextAttemptAt: at(4 * time.Second)}}, 4 * time.Second, RunAction, -1, ""},
		{"rollback reported waits", Facts{Deployment: dep(deploy.RollingBack, 0, nil), Reported: true, Action: act(driver.Rollback, ActionPending, 0)}, 0, WaitReport, -1, ""},
		{"rollback without its action pauses", Facts{Deployment: dep(deploy.RollingBack, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0)}, 0, Pause, -1, "no rollback action is queued"},
		{"rollback done: check the restored version", Facts{Deployment: dep(deploy.RollingBack, 0, nil), Action: act(driver.Rollback, ActionSucceeded, 0)}, 0, CheckRestored, -1, ""},
		{"restored checked: rolled back", Facts{Deployment: dep(deploy.RollingBack, 0, nil), Action: act(driver.Rollback, ActionSucceeded, 0), RestoredChecked: true}, 0, FinishRollback, -1, ""},
		{"watch: recurrence rolls back", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour) }),
			Checks: []Check{{Template: "w", Name: "r", Kind: "recurrence", State: analysis.Failing}}}, time.Minute, Rollback, -1, "check w/r failed"},
		{"watch: inconclusive does not pause", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour) }),
			Checks: []Check{{Template: "w", Name: "r", Kind: "recurrence", State: analysis.Paused}}}, time.Minute, WaitUntil, time.Hour, ""},
		{"watch: measures", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour) }),
			Checks: []Check{due(time.Minute, "recurrence")}}, time.Minute, Measure, -1, ""},
		{"watch: waits", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour) }),
			Checks: []Check{due(2*time.Minute, "recurrence")}}, time.Minute, WaitUntil, 2 * time.Minute, ""},
		{"watch over: verify", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour) })}, time.Hour, Verify, -1, ""},
		{"verified: done", Facts{Deployment: dep(deploy.Succeeded, 1, func(d *deploy.Deployment) { d.WatchUntil = at(time.Hour); d.VerifiedAt = at(time.Hour) })}, 2 * time.Hour, Done, -1, ""},
		{"aborted runs its abort action", Facts{Deployment: dep(deploy.Aborted, 0, nil), Action: act(driver.Abort, ActionPending, 0)}, 0, RunAction, -1, ""},
		{"aborted after its abort: done", Facts{Deployment: dep(deploy.Aborted, 0, nil), Action: act(driver.Abort, ActionSucceeded, 0)}, 0, Done, -1, ""},
		{"rolled back: done", Facts{Deployment: dep(deploy.RolledBack, 0, nil)}, 0, Done, -1, ""},
		{"failed: done", Facts{Deployment: dep(deploy.Failed, 0, nil)}, 0, Done, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Next(tt.f, t0.Add(tt.now))
			if got.Kind != tt.kind {
				t.Fatalf("kind %s, want %s (%+v)", got.Kind, tt.kind, got)
			}
			if tt.until >= 0 && !got.Until.Equal(t0.Add(tt.until)) || tt.until < 0 && !got.Until.IsZero() {
				t.Errorf("until %v, want %v", got.Until, tt.until)
			}
			if tt.reason != "" && got.Reason != tt.reason {
				t.Errorf("reason %q, want %q", got.Reason, tt.reason)
			}
		})
	}
}

func TestNextDetails(t *testing.T) {
	f := Facts{Deployment: dep(deploy.Running, 1, nil), Action: act(driver.Promote, ActionSucceeded, 1), Watch: time.Hour}
	if d := Next(f, t0.Add(time.Minute)); !d.At.Equal(t0.Add(time.Minute + time.Hour)) {
		t.Errorf("succeed: watch until %v", d.At)
	}
	fail := &Action{Kind: driver.Promote, Stage: 1, Status: ActionFailed, FinishedAt: at(3 * time.Second)}
	if d := Next(Facts{Deployment: dep(deploy.Running, 1, nil), Action: fail}, t0.Add(time.Minute)); !d.At.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("failed action: evidence at %v", d.At)
	}
	c := Check{Template: "t", Name: "c", State: analysis.Failing, EvidenceAt: at(7 * time.Second)}
	if d := Next(Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0), Checks: []Check{c}}, t0.Add(time.Minute)); !d.At.Equal(t0.Add(7 * time.Second)) {
		t.Errorf("failed check: evidence at %v", d.At)
	}
	for _, k := range []string{WaitReport, WaitUntil, AwaitPromote, Done} {
		if !(Decision{Kind: k}).Waits() {
			t.Errorf("%s does not wait", k)
		}
	}
	if (Decision{Kind: Measure}).Waits() || (Decision{Kind: RunAction}).Waits() {
		t.Error("measure/run wait")
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		if got := Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// TestActionKindsAreTheDrivers: the kinds the store queues and Next decides
// on are the names the driver package is called with (rollout does not
// import it: it makes outgoing requests).
func TestActionKindsAreTheDrivers(t *testing.T) {
	for kind, drv := range map[string]string{ActionDeploy: driver.Deploy, ActionPromote: driver.Promote,
		ActionRollback: driver.Rollback, ActionAbort: driver.Abort} {
		if kind != drv {
			t.Errorf("rollout %q, driver %q", kind, drv)
		}
	}
}

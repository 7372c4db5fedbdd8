package rollout

import (
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
	"fixgate/internal/gate"
)

// TestPromoteAnswersAnInconclusivePause: a deployment paused because a
// check is inconclusive stays paused until a person acts; `deploy promote`
// moves it on although the check that paused it is still inconclusive (it
// was paused again at once before: the promote could never take effect).
// A failing check still rolls back a promoted deployment.
func TestPromoteAnswersAnInconclusivePause(t *testing.T) {
	inconclusive := Check{Template: "error_rate", Name: "ratio", Kind: "prometheus", State: analysis.Paused, Reason: "no data"}
	promoted := func(d *deploy.Deployment) { d.PromoteRequested = true }
	f := Facts{Deployment: dep(deploy.Running, 0, nil), Action: act(driver.Deploy, ActionSucceeded, 0), Checks: []Check{inconclusive}}
	if dec := Next(f, t0.Add(time.Second)); dec.Kind != Pause {
		t.Fatalf("inconclusive without a promote: %+v", dec)
	}
	f.Deployment = dep(deploy.Running, 0, promoted)
	if dec := Next(f, t0.Add(time.Second)); dec.Kind != EvaluateGate {
		t.Fatalf("promoted: %+v, want the gate evaluated before the promotion", dec)
	}
	f.Gate = &GateVerdict{ID: "GATE-2", Decision: gate.Allowed}
	if dec := Next(f, t0.Add(time.Second)); dec.Kind != Promote {
		t.Fatalf("promoted, gate allowed: %+v", dec)
	}
	f.Checks = append(f.Checks, Check{Template: "error_rate", Name: "latency", State: analysis.Failing, EvidenceAt: at(time.Second)})
	if dec := Next(f, t0.Add(2*time.Second)); dec.Kind != Rollback {
		t.Fatalf("promoted with a failing check: %+v", dec)
	}
	last := Facts{Deployment: dep(deploy.Running, 1, promoted), Action: act(driver.Promote, ActionSucceeded, 1), Checks: []Check{inconclusive}}
	if dec := Next(last, t0.Add(time.Second)); dec.Kind != Succeed {
		t.Fatalf("promoted at the last stage: %+v", dec)
	}
}

// TestStageEndMeasuresACheckNotYetMeasured: an engine that comes back late
// (after the stage's end) to a check it never measured measures it before
// it promotes or succeeds (the engine judges such a check running, due
// now), instead of pausing the deployment for want of evidence.
func TestStageEndMeasuresACheckNotYetMeasured(t *testing.T) {
	due := Check{Template: "health", Name: "recurrence", Kind: "recurrence", State: analysis.Running, Due: at(0)}
	for stage, action := range []string{driver.Deploy, driver.Promote} {
		f := Facts{Deployment: dep(deploy.Running, stage, nil), Action: act(action, ActionSucceeded, stage), Checks: []Check{due}}
		if dec := Next(f, t0.Add(2*time.Minute)); dec.Kind != Measure || dec.Check != "health/recurrence" {
			t.Fatalf("stage %d over, check never measured: %+v", stage, dec)
		}
	}
}

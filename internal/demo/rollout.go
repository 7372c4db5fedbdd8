package demo

import (
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// The demo's deployments go the way every deployment goes: started through
// the gate (store.StartDeployment, one stored evaluation each), carried by
// the demo's reported driver "pipeline" (ci-bot reports each stage as a
// user's pipeline would) and moved on by the rollout engine's store steps
// (AdvanceRollout after a fresh gate evaluation, SucceedDeployment,
// VerifyDeployment once the watch passed, DecideRollback and
// FinishRollback). Nothing is moved by hand except a failure, which is a
// person's call.

// demoDriver is the demo policy's driver: the pipeline reports each stage.
const demoDriver = "pipeline"

// demoWatch is how long the demo watches a deployment that succeeded.
const demoWatch = 30 * time.Minute

var engineActor = audit.Actor{User: "fixgate-engine", Role: "system", RequestID: "engine"}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// demoPolicy is the built-in policy with the reported driver "pipeline"
// carrying every demo environment: today's policy (version 2).
func demoPolicy() *policy.Policy {
	p := policy.Default()
	p.Drivers = map[string]policy.Driver{demoDriver: {Reported: &policy.ReportedDriver{}}}
	p.Environments = map[string]policy.EnvironmentPolicy{}
	for _, env := range []string{"staging", "prod-eu", "prod-us"} {
		p.Environments[env] = policy.EnvironmentPolicy{Driver: demoDriver}
	}
	return p
}

// historyPolicy is the policy the 90 days of history ran under (version
// 1): the demo policy without the gate rules the story's timing, approvals
// and overlapping fixes predate: deployments in the evening outside the
// weeknight windows, peer-approved critical changes, features straight
// from staging to prod-us, fixes shipped while other problems were open
// and to a second region after the first resolved the problem. Every
// other rule still decides each start and promotion.
func historyPolicy() *policy.Policy {
	p := demoPolicy()
	r := &p.Gate.Rules
	r.MaintenanceWindow.Enabled = false
	r.Approvals.Enabled = false
	r.Progression.Enabled = false
	r.OpenProblems.Enabled = false
	r.ProblemState.Enabled = false
	return p
}

// savePolicy stores pol as the next policy version and makes it the one
// the demo's deployments start under.
func (l *loader) savePolicy(pol *policy.Policy) {
	if l.err != nil {
		return
	}
	text, err := yaml.Marshal(pol)
	if !l.check("encode the demo policy", err) {
		return
	}
	parsed, err := policy.Parse(text) // what the server will read back
	if !l.check("the demo policy does not parse", err) {
		return
	}
	sp, _, err := l.st.SavePolicy(l.ctx, l.as("admin"), string(text), parsed.Hash(), 0)
	if l.check("store the demo policy", err) {
		l.pol, l.polVersion = parsed, sp.Version
	}
}

// deployment runs rel into env along canary→full (production) or full,
// ending in end (succeeded, rolled_back or failed), and returns its id.
func (l *loader) deployment(rel, env, chg, end string) string {
	if l.err != nil {
		return ""
	}
	path := []deploy.Stage{{Name: "full", Weight: 100}}
	if env != "staging" {
		path = []deploy.Stage{{Name: "canary", Weight: 10}, {Name: "full", Weight: 100}}
	}
	bot := l.as("ci-bot")
	d, ev, err := l.st.StartDeployment(l.ctx, bot, store.StartRequest{Release: rel, Env: env, Change: chg, Stages: path}, l.pol, l.polVersion)
	if !l.check("start "+rel+" in "+env, err) {
		return ""
	}
	if ev.Decision != gate.Allowed {
		l.check("start "+rel+" in "+env, blockedError(ev))
		return d.ID
	}
	id := mustID(d.ID)
	l.clk.t = l.clk.t.Add(20 * time.Minute)
	if end == deploy.Failed {
		l.report(id, path[0].Name, "failed", "health check failed: readiness probe timed out")
		if l.err == nil {
			_, err = l.st.MoveDeployment(l.ctx, l.as("rita"), id, 0, deploy.Failed, "readiness probe timed out; the pipeline gave up")
			l.check("fail "+d.ID, err)
		}
		return d.ID
	}
	l.report(id, path[0].Name, "succeeded", "pods ready")
	if end == deploy.RolledBack {
		l.clk.t = l.clk.t.Add(10 * time.Minute)
		if l.err == nil {
			_, err = l.st.DecideRollback(l.ctx, engineActor, id, 0, "check canary/error-rate failed: error rate above threshold during canary analysis", l.clk.t)
			l.check("roll back "+d.ID, err)
		}
		l.clk.t = l.clk.t.Add(5 * time.Minute)
		l.report(id, "rollback", "succeeded", "previous version restored")
		if l.err == nil {
			_, err = l.st.FinishRollback(l.ctx, engineActor, id, 0)
			l.check("finish rollback of "+d.ID, err)
		}
		return d.ID
	}
	for i := 1; i < len(path) && l.err == nil; i++ {
		l.clk.t = l.clk.t.Add(30 * time.Minute)
		q := store.GateQuery{Release: mustID(rel), Env: env, At: l.clk.t}
		for _, st := range path {
			q.Path = append(q.Path, gate.Stage{Name: st.Name, Weight: st.Weight})
		}
		ev, err := l.st.EvaluateGate(l.ctx, engineActor, q, l.pol, l.polVersion)
		if !l.check("gate before promoting "+d.ID, err) {
			break
		}
		if ev.Decision != gate.Allowed {
			l.check("promote "+d.ID, blockedError(ev))
			break
		}
		_, err = l.st.AdvanceRollout(l.ctx, engineActor, id, 0, ev.ID)
		l.check("promote "+d.ID, err)
		l.report(id, path[i].Name, "succeeded", "pods ready")
	}
	if l.err == nil {
		_, err = l.st.SucceedDeployment(l.ctx, engineActor, id, 0, l.clk.t.Add(demoWatch))
		l.check("succeed "+d.ID, err)
	}
	if l.err == nil {
		l.clk.t = l.clk.t.Add(demoWatch)
		_, err = l.st.VerifyDeployment(l.ctx, engineActor, id, 0)
		l.check("verify "+d.ID, err)
	}
	return d.ID
}

// report is ci-bot's report of stage's action of deployment id.
func (l *loader) report(id int64, stage, status, msg string) {
	if l.err != nil {
		return
	}
	_, err := l.st.ReportStage(l.ctx, l.as("ci-bot"), id, stage, status, msg)
	l.check("report "+stage+" of DEP-"+itoa(id), err)
}

type gateBlocked struct{ lines []string }

func (e gateBlocked) Error() string { return "the gate blocked it: " + strings.Join(e.lines, "; ") }

func blockedError(ev store.GateEvaluation) error {
	var lines []string
	for _, r := range ev.Verdict.Rules {
		if r.Result == gate.Fail || r.Undecided {
			lines = append(lines, r.Rule+": "+r.Reason)
		}
	}
	return gateBlocked{lines}
}

package engine

import (
	"context"
	"fmt"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
	"fixgate/internal/store"
)

// maxDecisions bounds one step's decisions (a loop guard: a rollout has
// few stages and each decision changes something).
const maxDecisions = 64

// step is the state of one deployment's step.
type step struct {
	id       int64
	pol      *policy.Policy
	version  int64
	ro       store.Rollout
	gate     *rollout.GateVerdict
	evidence time.Time // wall time the last failing evidence returned
	// pending are the measurements taken and not stored yet (also in
	// ro.Tallies): stored with the step's end, with a rollback decision,
	// or before any other decision.
	pending []analysis.Measurement
}

// drive decides and acts until the deployment waits; it returns the
// revision last read and the next step time. A measurement changes
// nothing stored: the next decision is taken on what was loaded plus the
// measurements taken since, without loading again.
func (r *Runner) drive(ctx context.Context, st *step) (int64, *time.Time, error) {
	var rev int64
	load := true
	for range maxDecisions {
		if load {
			if err := r.load(ctx, st); err != nil {
				return rev, nil, err
			}
			rev = st.ro.Deployment.Revision
		}
		now := r.Store.Now()
		dec := rollout.Next(r.facts(st, now), now)
		if dec.Waits() {
			if dec.Until.IsZero() {
				return rev, nil, nil
			}
			return rev, &dec.Until, nil
		}
		var err error
		switch load = false; dec.Kind {
		case rollout.Measure:
			err = r.measureCheck(ctx, st, dec.Check)
		case rollout.CheckRestored:
			err = r.checkRestored(ctx, st)
		case rollout.Rollback: // the measurements are stored with the decision
			load = true
			err = r.rollback(ctx, st, dec)
		default:
			load = true
			if err = r.flush(ctx, st); err == nil {
				err = r.act(ctx, st, dec)
			}
		}
		if err != nil && !retryable(err) {
			return rev, nil, fmt.Errorf("%s: %w", dec.Kind, err)
		}
	}
	return rev, nil, fmt.Errorf("deployment %d: no wait after %d decisions", st.id, maxDecisions)
}

// load reads the policy and the deployment's facts; the measurements not
// stored yet are added to the tallies loaded.
func (r *Runner) load(ctx context.Context, st *step) error {
	var err error
	if st.pol, st.version, err = r.Policy(ctx); err != nil {
		return err
	}
	if st.ro, err = r.Store.LoadRollout(ctx, st.id); err != nil {
		return err
	}
	for _, m := range st.pending {
		st.tally(m)
	}
	return nil
}

// tally adds measurement m to the tallies of the stage that counts now.
func (st *step) tally(m analysis.Measurement) {
	if m.Stage != st.ro.Stage {
		return
	}
	if st.ro.Tallies == nil {
		st.ro.Tallies = map[store.CheckKey]analysis.Tally{}
	}
	k := store.CheckKey{Template: m.Template, Check: m.Check}
	t := st.ro.Tallies[k]
	t.Add(m)
	st.ro.Tallies[k] = t
}

// flush stores the pending measurements, before a decision other than a
// rollback is carried out (its transaction reads and changes the
// deployment they judged).
func (r *Runner) flush(ctx context.Context, st *step) error {
	if len(st.pending) == 0 {
		return nil
	}
	r.writes.Add(1)
	if err := r.Store.RecordMeasurements(ctx, engineActor, st.id, st.pending); err != nil {
		return err
	}
	r.recorded(st.pending)
	st.pending = nil
	return nil
}

// recorded tells OnOutcome each stored measurement's outcome.
func (r *Runner) recorded(ms []analysis.Measurement) {
	for _, m := range ms {
		r.outcome(m.Kind, m.Outcome)
	}
}

// facts builds rollout.Facts from what the store loaded.
func (r *Runner) facts(st *step, now time.Time) rollout.Facts {
	d := st.ro.Deployment
	f := rollout.Facts{Deployment: d, Reported: rollout.IsReported(st.pol, d.Driver), Gate: st.gate,
		Watch: rollout.Watch(st.pol, st.ro.Model, d.Env, st.ro.Priorities)}
	if st.ro.Latest != nil {
		a := st.ro.Latest.Action
		f.Action = &a
	}
	f.Checks = r.checkStates(st, now)
	// rolling back, the tallies are after-rollback's (rollout.Window);
	// Next reads RestoredChecked only then
	f.RestoredChecked = len(r.checks(st, false)) == 0 || st.ro.Stage == restoredStage && len(st.ro.Tallies) > 0
	return f
}

// restoredStage and watchStage name the measurements taken after a
// rollback and in the watch window.
const (
	restoredStage = rollout.RestoredStage
	watchStage    = rollout.WatchStage
)

// check is one check of a template.
type check = rollout.CheckRef

// checks lists the current stage's checks; watch: only those that keep
// running after 100 % (rollout.InWatch).
func (r *Runner) checks(st *step, watch bool) []check {
	return rollout.Checks(st.pol, st.ro.Model, st.ro.Deployment, watch)
}

// stageEnd is when no more measurements come for d's current stage: its
// duration (or the watch window) is over; zero for a stage that waits for
// `deploy promote`, which never ends by itself.
func stageEnd(d deploy.Deployment) time.Time {
	switch {
	case d.Status == deploy.Succeeded:
		if d.WatchUntil != nil {
			return *d.WatchUntil
		}
		return time.Time{}
	case d.StageStartedAt == nil || d.Stage().Duration == 0:
		return time.Time{}
	}
	return d.StageStartedAt.Add(time.Duration(d.Stage().Duration))
}

func (r *Runner) checkStates(st *step, now time.Time) []rollout.Check {
	d := st.ro.Deployment
	if d.Status != deploy.Running && d.Status != deploy.Succeeded || d.Status == deploy.Running && d.StageStartedAt == nil {
		return nil
	}
	label, since := rollout.Window(d, now)
	end := stageEnd(d)
	var out []rollout.Check
	for _, c := range r.checks(st, d.Status == deploy.Succeeded) {
		var t analysis.Tally
		if label == st.ro.Stage {
			t = st.ro.Tallies[store.CheckKey{Template: c.Template, Check: c.Check.Name}]
		}
		rc := r.Judge(c.Check, t, since, end, now)
		rc.Template, rc.Name, rc.Kind = c.Template, c.Check.Name, c.Kind()
		out = append(out, rc)
	}
	return out
}

// act carries out dec, a decision other than a measurement.
func (r *Runner) act(ctx context.Context, st *step, dec rollout.Decision) error {
	d := st.ro.Deployment
	rev := d.Revision
	var err error
	out := "" // the deployment's outcome, when dec is one
	switch dec.Kind {
	case rollout.RunAction:
		return r.runAction(ctx, st, dec.Action)
	case rollout.EvaluateGate:
		return r.evaluateGate(ctx, st)
	}
	r.writes.Add(1) // each decision below is one write transaction
	switch dec.Kind {
	case rollout.Promote:
		_, err = r.Store.AdvanceRollout(ctx, engineActor, st.id, rev, dec.Reason)
		st.gate = nil
	case rollout.Pause:
		_, err = r.Store.PauseDeployment(ctx, engineActor, st.id, rev, dec.Reason)
		out = "paused"
	case rollout.Succeed:
		_, err = r.Store.SucceedDeployment(ctx, engineActor, st.id, rev, dec.At)
		out = "succeeded"
	case rollout.Verify:
		_, err = r.Store.VerifyDeployment(ctx, engineActor, st.id, rev)
		out = "verified"
	case rollout.FinishRollback:
		_, err = r.Store.FinishRollback(ctx, engineActor, st.id, rev)
		out = "rolled_back"
	default:
		return fmt.Errorf("unknown decision %q", dec.Kind)
	}
	if err == nil && out != "" {
		r.outcome("deployment", out)
	}
	return err
}

// rollback decides the rollback dec, storing the pending measurements (the
// failing one among them) in the same transaction.
func (r *Runner) rollback(ctx context.Context, st *step, dec rollout.Decision) error {
	r.writes.Add(1)
	if _, err := r.Store.DecideRollbackMeasured(ctx, engineActor, st.id, st.ro.Deployment.Revision, dec.Reason, dec.At, st.pending); err != nil {
		return err
	}
	r.recorded(st.pending)
	st.pending = nil
	return nil
}

func (r *Runner) outcome(kind, outcome string) {
	if r.OnOutcome != nil {
		r.OnOutcome(kind, outcome)
	}
}

// evaluateGate asks the gate again before a promotion, for the same path.
func (r *Runner) evaluateGate(ctx context.Context, st *step) error {
	d := st.ro.Deployment
	rel, _ := ident.Release.Parse("release", d.Release)
	q := store.GateQuery{Release: rel, Env: d.Env, At: r.Store.Now()}
	for _, s := range d.Path {
		q.Path = append(q.Path, gate.Stage{Name: s.Name, Weight: s.Weight})
	}
	r.writes.Add(1)
	ev, err := r.Store.EvaluateGate(ctx, engineActor, q, st.pol, st.version)
	if err != nil {
		return err
	}
	st.gate = &rollout.GateVerdict{ID: ev.ID, Decision: ev.Decision}
	for _, l := range ev.Verdict.Rules {
		if l.Result == gate.Fail || l.Undecided {
			st.gate.Failing = append(st.gate.Failing, l.Rule+": "+l.Reason)
		}
	}
	return nil
}

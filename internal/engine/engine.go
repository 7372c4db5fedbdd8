// Package engine runs deployments: it finds the due ones, claims each
// (a lease in the database, so of several replicas one steps it), asks
// rollout.Next what to do and does it through the store and the driver,
// until the decision is to wait. Steps of different deployments run
// concurrently (a bounded pool); one deployment's steps are sequential.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/audit"
	"fixgate/internal/driver"
	"fixgate/internal/fault"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// Measurer measures one Prometheus check (internal/prom at the merge).
type Measurer interface {
	Measure(ctx context.Context, q Query) analysis.Measurement
}

// Query is one measurement to take: the check and the variables its query
// template may use (version, previous_version, env, ci, stage).
type Query struct {
	Deployment, Stage, Template string
	Check                       policy.Check
	Vars                        map[string]string
	At                          time.Time
}

// Drivers returns the driver named name under pol.
type Drivers func(pol *policy.Policy, name string) (driver.Driver, error)

// Runner is the rollout engine of one server.
type Runner struct {
	Store   *store.Store
	Policy  func(ctx context.Context) (*policy.Policy, int64, error)
	Drivers Drivers
	// Prometheus measures prometheus checks; nil: they measure error
	// "no --prometheus-url configured".
	Prometheus Measurer
	// Judge turns a check's measurements into its state (nil:
	// AnalysisJudge(StoreInterval)).
	Judge Judge
	// StoreInterval is how often recurrence and incidents checks are
	// counted from the store between their counts at a stage's start and
	// end (default DefaultStoreInterval).
	StoreInterval time.Duration
	Holder        string
	Log           *slog.Logger
	Lease         time.Duration // default 30 s
	Poll          time.Duration // default 200 ms
	Pool          int           // concurrent deployments, default 32
	// OnRollbackStart, when set, is told, as the rollback driver starts,
	// the cause's class (CauseClass: measurement, recurrence, incident,
	// driver, gate, person) and how long after the evidence it started: the
	// measurement returned or the action failed in this runner, else the
	// arrival of the request that decided it (RollbackDecided: an alert or
	// incident for an event-driven rollback), else the stored decision time.
	OnRollbackStart func(cause string, latency time.Duration)
	// OnOutcome, when set, is told each deployment outcome (kind
	// "deployment": paused, succeeded, verified, rolled_back) and each
	// measurement's outcome (kind: the check's kind, prometheus,
	// recurrence or incidents; outcome successful, failed, inconclusive
	// or error), including the failed one an event-driven rollback
	// recorded (RollbackDecided).
	OnOutcome func(kind, outcome string)

	wake     chan int64
	once     sync.Once
	mu       sync.Mutex
	inflight map[int64]bool
	again    map[int64]bool      // woken while being stepped: step again at once
	evidence map[int64]time.Time // RollbackDecided's evidence, until the driver starts
	sem      chan struct{}
	steps    sync.WaitGroup // steps running: Run waits for them before it returns
	writes   atomic.Int64   // write transactions asked of the store (Writes)
}

// Writes returns how many write transactions this runner has asked of the
// store so far (lease claims and renewals, step ends, measurements,
// decisions, actions), committed or not: the engine's share of the
// database's commits, for benchmarks and metrics.
func (r *Runner) Writes() int64 { return r.writes.Load() }

var engineActor = audit.Actor{User: "fixgate-engine", Role: "system", RequestID: "engine"}

func (r *Runner) init() {
	r.once.Do(func() {
		if r.Lease == 0 {
			r.Lease = 30 * time.Second
		}
		if r.Poll == 0 {
			r.Poll = 200 * time.Millisecond
		}
		if r.Pool == 0 {
			r.Pool = 32
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
		if r.StoreInterval == 0 {
			r.StoreInterval = DefaultStoreInterval
		}
		if r.Judge == nil {
			r.Judge = AnalysisJudge(r.StoreInterval)
		}
		if r.Holder == "" {
			r.Holder = "engine"
		}
		r.wake = make(chan int64, 1024)
		r.inflight = map[int64]bool{}
		r.again = map[int64]bool{}
		r.evidence = map[int64]time.Time{}
		r.sem = make(chan struct{}, r.Pool)
	})
}

// Wake asks for deployment id to be stepped now (after a person's command
// or a report), without waiting for the next poll.
func (r *Runner) Wake(id int64) {
	r.init()
	select {
	case r.wake <- id:
	default: // the poll finds it
	}
}

// RollbackDecided is told (store.Rollouts.Decided) that a committed
// transaction decided deployment d.Deployment's rollback on evidence that
// arrived at d.Evidence: the deployment is stepped at once and the rollback
// latency counts from then. It never blocks.
func (r *Runner) RollbackDecided(d store.RollbackDecision) {
	r.init()
	r.mu.Lock()
	if _, ok := r.evidence[d.Deployment]; !ok && len(r.evidence) < 4096 {
		r.evidence[d.Deployment] = d.Evidence
	}
	r.mu.Unlock()
	if d.Measured != "" {
		r.outcome(d.Measured, analysis.Failed)
	}
	r.Wake(d.Deployment)
}

// takeEvidence returns and forgets RollbackDecided's evidence for id.
func (r *Runner) takeEvidence(id int64) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.evidence[id]
	delete(r.evidence, id)
	return t, ok
}

// Run steps due deployments until ctx ends, starting with those due now
// (after a restart: the deployments in flight resume at once), then waits
// for the steps still running (a driver action is cancelled, its lease
// given back) and returns.
func (r *Runner) Run(ctx context.Context) {
	r.init()
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	r.dispatchDue(ctx)
	for {
		select {
		case <-ctx.Done():
			r.steps.Wait()
			return
		case id := <-r.wake:
			r.dispatch(ctx, id, false)
		case <-t.C:
			r.dispatchDue(ctx)
		}
	}
}

// dispatchDue claims the deployments due now, in one write transaction,
// as many as the pool has room for (4 × Pool in flight at most), and
// dispatches them.
func (r *Runner) dispatchDue(ctx context.Context) {
	r.mu.Lock()
	room := 4*r.Pool - len(r.inflight)
	r.mu.Unlock()
	if room <= 0 {
		return
	}
	due, err := r.Store.DueDeployments(ctx, r.Store.Now(), room)
	if err == nil && len(due) > 0 {
		r.writes.Add(1)
		due, err = r.Store.ClaimDue(ctx, r.Holder, r.Lease, room)
	}
	if err != nil {
		r.Log.Warn("due deployments", "err", err)
		return
	}
	for _, id := range due {
		r.dispatch(ctx, id, true)
	}
}

// dispatch steps id unless it is being stepped already; then it is stepped
// again once that step ends: the step under way may have read the
// deployment before the change that woke it, or it has given back the lease
// that claimed was just taken with. claimed (dispatchDue): the runner holds
// id's lease already, and the step waits for a place in the pool (Pool
// steps at once); it is given back if the runner stops first. A woken
// deployment (Wake: a rollback decided, a person's command) does not wait
// for the pool: its step starts at once, never behind the analysis steps.
func (r *Runner) dispatch(ctx context.Context, id int64, claimed bool) {
	r.mu.Lock()
	if r.inflight[id] {
		r.again[id] = true
		r.mu.Unlock()
		return
	}
	r.inflight[id] = true
	r.mu.Unlock()
	r.steps.Add(1)
	go func() {
		defer r.steps.Done()
		if claimed {
			select {
			case r.sem <- struct{}{}:
				defer func() { <-r.sem }()
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			r.mu.Lock()
			delete(r.inflight, id)
			delete(r.again, id)
			r.mu.Unlock()
			if claimed {
				r.writes.Add(1)
				r.Store.GiveBack(context.WithoutCancel(ctx), id, r.Holder)
			}
			return
		}
		for again := true; again && ctx.Err() == nil; claimed = false {
			if err := r.step(ctx, id, claimed); err != nil && ctx.Err() == nil {
				r.Log.Warn("deployment step", "deployment", id, "err", err)
			}
			r.mu.Lock()
			again = r.again[id]
			delete(r.again, id)
			if !again {
				delete(r.inflight, id)
			}
			r.mu.Unlock()
		}
	}()
}

// Step claims deployment id and drives it until it waits, then, in one
// write transaction, stores the measurements the step took and gives the
// lease back with its next step time. A deployment leased by another
// holder is left alone.
func (r *Runner) Step(ctx context.Context, id int64) error {
	r.init()
	return r.step(ctx, id, false)
}

// step is Step; claimed: the runner holds the lease already.
func (r *Runner) step(ctx context.Context, id int64, claimed bool) error {
	if !claimed {
		r.writes.Add(1)
		ok, err := r.Store.ClaimDeployment(ctx, id, r.Holder, r.Lease)
		if err != nil || !ok {
			return err
		}
	}
	renewing := r.keepLease(ctx, id)
	st := &step{id: id}
	rev, next, err := r.drive(ctx, st)
	renewing()
	if err != nil {
		retry := r.Store.Now().Add(time.Second)
		next = &retry
	}
	r.writes.Add(1)
	rerr := r.Store.EndStep(context.WithoutCancel(ctx), engineActor, id, r.Holder, rev, next, st.pending)
	if rerr == nil {
		r.recorded(st.pending)
	} else if err == nil {
		err = rerr
	}
	return err
}

// retryable reports whether err means "read again and decide again".
func retryable(err error) bool {
	return fault.CodeOf(err) == fault.PreconditionFailed || errors.Is(err, errAgain)
}

var errAgain = errors.New("decide again")

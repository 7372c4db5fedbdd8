// Package jobs runs fixgate's background work. Each step takes a lease in
// the database before it runs (store.ClaimLease), so with several replicas
// on one database a step runs once per interval, on whichever replica
// claimed it. The lease is not released after the step: it expires after
// the interval, so replicas whose tickers are out of phase do not run the
// same step twice in one interval.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/metrics"
	"fixgate/internal/store"
)

// ReadyToClose is the lease name of the ready-to-close step.
const ReadyToClose = "problems.ready_to_close"

// Runner runs the background steps of one replica.
type Runner struct {
	Store     *store.Store
	Log       *slog.Logger
	Holder    string           // this replica's name in leases; New sets host-pid-random
	Interval  time.Duration    // between steps and lease length; New sets one minute
	AutoClose bool             // close problems that are ready (policy; default off)
	Metrics   *metrics.Metrics // counts runs and failures (nil: not counted)
}

// New returns a runner with a unique holder name and a one-minute interval.
func New(st *store.Store, log *slog.Logger, autoClose bool) *Runner {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	if log == nil {
		log = slog.Default()
	}
	return &Runner{Store: st, Log: log, Holder: host + "-" + hex.EncodeToString(b), Interval: time.Minute, AutoClose: autoClose}
}

// Run runs the steps every Interval until ctx ends; a failing step is
// logged and retried at the next tick.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		_, err := r.StepReadyToClose(ctx)
		if ctx.Err() != nil {
			return
		}
		r.Metrics.JobRun(ReadyToClose, err)
		if err != nil {
			r.Log.Error("job step failed", "job", ReadyToClose, "err", err)
		}
		_, err = r.StepAssessControls(ctx, r.Store.Now())
		r.Metrics.JobRun(AssessControls, err)
		if err != nil && ctx.Err() == nil {
			r.Log.Error("job step failed", "job", AssessControls, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// StepReadyToClose runs the ready-to-close step if this replica claims its
// lease: problems ready to close are announced once (problem.ready_to_close)
// and, with AutoClose, closed. It returns nil without running when another
// replica holds the lease.
func (r *Runner) StepReadyToClose(ctx context.Context) (*store.ReadyStepResult, error) {
	ok, err := r.Store.ClaimLease(ctx, ReadyToClose, r.Holder, r.Interval)
	if err != nil || !ok {
		return nil, err
	}
	res, err := r.Store.NotifyReadyToClose(ctx, audit.System("job:"+ReadyToClose), r.AutoClose)
	if err != nil {
		return nil, err
	}
	if len(res.Notified) > 0 || len(res.Closed) > 0 {
		r.Log.Info("problems ready to close", "ready", res.Ready, "notified", res.Notified, "closed", res.Closed)
	}
	return &res, nil
}

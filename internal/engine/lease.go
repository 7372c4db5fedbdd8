package engine

import (
	"context"
	"time"
)

// keepLease renews the lease on deployment id every third of Lease while
// a step runs, so that a driver action (or a slow query) longer than the
// lease does not let another replica take the deployment and run the same
// action again. A renewal that finds the lease taken stops renewing. The
// returned func stops it and returns once no renewal is in flight, so the
// lease is given back only after the last renewal.
func (r *Runner) keepLease(ctx context.Context, id int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(r.Lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.writes.Add(1)
				ok, err := r.Store.ClaimDeployment(ctx, id, r.Holder, r.Lease)
				if err == nil && !ok {
					r.Log.Warn("deployment lease lost during a step", "deployment", id, "holder", r.Holder)
					return
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

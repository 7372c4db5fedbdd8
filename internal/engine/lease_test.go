package engine_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/driver"
)

// slowDriver is a recorder whose every action takes d.
type slowDriver struct {
	recorder
	d time.Duration
}

func (s *slowDriver) Run(ctx context.Context, a driver.Action) (string, error) {
	out, err := s.recorder.Run(ctx, a)
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return out, ctx.Err()
	}
	return out, err
}

// TestLeaseOutlivesALongAction: two runners (two replicas) on one store
// with a 300 ms lease and a driver whose actions take 800 ms: the runner
// stepping the deployment renews its lease while the driver runs, so the
// other never takes the deployment over and each action runs exactly once.
func TestLeaseOutlivesALongAction(t *testing.T) {
	s, pol := setup(t, 1)
	drv, m := &slowDriver{d: 800 * time.Millisecond}, &measurer{outcome: analysis.Successful}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, h := range []string{"a", "b"} {
		r := runner(s, pol, drv, m)
		r.Holder, r.Lease, r.Poll = h, 300*time.Millisecond, 20*time.Millisecond
		go r.Run(ctx)
	}
	d := start(t, s, pol, "REL-1")
	waitFor(t, s, d.ID, 20*time.Second, func(d deploy.Deployment) bool { return d.Status == deploy.Succeeded })
	if got := drv.kinds(d.ID); !slices.Equal(got, []string{"deploy:canary", "promote:full"}) {
		t.Fatalf("driver calls %v: an action ran twice", got)
	}
}

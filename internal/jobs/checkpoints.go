package jobs

import (
	"context"
	"log/slog"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/store"
)

// Checkpointer signs audit checkpoints with a private key held by this
// process only: one at start, then whenever Events new events were audited
// since the last one, or some were and Every has passed. Replicas sharing a
// key may all run one: a checkpoint of a given size is kept once, and
// Ed25519 signs the same tree identically.
type Checkpointer struct {
	Store  *store.Store
	Log    *slog.Logger
	Key    string        // the private signed-note key (never stored in the database)
	Every  time.Duration // longest time an audited event waits for a checkpoint
	Events int64         // sign as soon as this many events are not covered
}

// Run signs checkpoints until ctx ends.
func (c *Checkpointer) Run(ctx context.Context) {
	last, lastAt := int64(-1), time.Time{}
	sign := func() {
		signed, err := c.Store.SignCheckpoint(ctx, c.Key)
		if err != nil {
			c.Log.Error("audit checkpoint not signed", "err", err)
			return
		}
		if cp, err := audit.ParseSignedCheckpoint(signed); err == nil && cp.Size != last {
			last, lastAt = cp.Size, time.Now()
			c.Log.Info("audit checkpoint signed", "size", cp.Size)
		}
	}
	sign()
	tick := time.NewTicker(min(c.Every, 10*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n, err := c.Store.AuditSize(ctx)
		if err != nil {
			c.Log.Error("audit checkpoint: read audit head", "err", err)
			continue
		}
		if n > last && (n-last >= c.Events || time.Since(lastAt) >= c.Every) {
			sign()
		}
	}
}

package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"time"

	"fixgate/internal/artifact"
	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/metrics"
	"fixgate/internal/store"
)

// Purge is the lease name of the artifact purge step.
const Purge = "artifacts.purge"

// PurgeReport is what a purge run deleted, or with DryRun would delete.
type PurgeReport struct {
	DryRun bool                   `json:"dry_run"`
	At     time.Time              `json:"at"`
	Items  []store.PurgeCandidate `json:"items"`
}

// PurgeArtifacts deletes the artifacts expired at time at that no legal
// hold keeps (store.ExpiredArtifacts): for each, the row is first marked
// purged with its audit event (store.PurgeArtifact), then the bytes are
// deleted unless an upload made the artifact live again in between
// (store.DropArtifactBytes). Running it again, or on two replicas at once, purges each
// artifact once: a second run finds nothing left to purge, and of two
// concurrent runs only one marks a given row. It also deletes bytes still
// stored for earlier tombstones (a crash between row and bytes). With
// dryRun it only lists what would go and writes nothing.
func PurgeArtifacts(ctx context.Context, st *store.Store, files artifact.Storage, actor audit.Actor, at time.Time, dryRun bool) (PurgeReport, error) {
	rep := PurgeReport{DryRun: dryRun, At: at, Items: []store.PurgeCandidate{}}
	cands, err := st.ExpiredArtifacts(ctx, at)
	if err != nil || dryRun {
		rep.Items = append(rep.Items, cands...)
		return rep, err
	}
	for _, c := range cands {
		ok, err := st.PurgeArtifact(ctx, actor, c.SHA256, at)
		if err != nil {
			return rep, err
		}
		if !ok {
			continue // held, renewed or purged by another run meanwhile
		}
		rep.Items = append(rep.Items, c) // purged and audited, whatever happens to the bytes next
		if _, err := st.DropArtifactBytes(ctx, actor, c.SHA256, files); err != nil {
			return rep, err // the row says purged; the next run deletes the bytes
		}
	}
	return rep, sweepTombstones(ctx, st, files, actor)
}

// sweepTombstones deletes bytes still stored for purged artifacts, through
// store.DropArtifactBytes: bytes that an upload restored meanwhile stay.
func sweepTombstones(ctx context.Context, st *store.Store, files artifact.Storage, actor audit.Actor) error {
	shas, err := st.PurgedArtifacts(ctx)
	if err != nil {
		return err
	}
	for _, sha := range shas {
		if _, err := files.Stat(ctx, sha); fault.CodeOf(err) == fault.NotFound {
			continue
		} else if err != nil {
			return err
		}
		if _, err := st.DropArtifactBytes(ctx, actor, sha, files); err != nil {
			return err
		}
	}
	return nil
}

// Purger runs the purge every Interval on whichever replica claims its
// lease, so with several replicas on one database it runs once per interval.
type Purger struct {
	Store    *store.Store
	Files    artifact.Storage
	Log      *slog.Logger
	Holder   string           // this replica's name in leases; NewPurger sets host-random
	Interval time.Duration    // between runs and lease length; NewPurger sets one hour
	Metrics  *metrics.Metrics // counts runs and failures (nil: not counted)
}

// NewPurger returns a purger with a unique holder name and a one-hour interval.
func NewPurger(st *store.Store, files artifact.Storage, log *slog.Logger) *Purger {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	if log == nil {
		log = slog.Default()
	}
	return &Purger{Store: st, Files: files, Log: log, Holder: host + "-" + hex.EncodeToString(b), Interval: time.Hour}
}

// Run purges every Interval until ctx ends; a failing run is logged and
// retried at the next tick.
func (p *Purger) Run(ctx context.Context) {
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	for {
		_, err := p.Step(ctx)
		if ctx.Err() != nil {
			return
		}
		p.Metrics.JobRun(Purge, err)
		if err != nil {
			p.Log.Error("job step failed", "job", Purge, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step purges if this replica claims the lease; it returns nil, nil
// without running when another replica holds it.
func (p *Purger) Step(ctx context.Context) (*PurgeReport, error) {
	ok, err := p.Store.ClaimLease(ctx, Purge, p.Holder, p.Interval)
	if err != nil || !ok {
		return nil, err
	}
	rep, err := PurgeArtifacts(ctx, p.Store, p.Files, audit.System("job:"+Purge), p.Store.Now(), false)
	if err != nil {
		return nil, err
	}
	if len(rep.Items) > 0 {
		p.Log.Info("artifacts purged", "count", len(rep.Items))
	}
	return &rep, nil
}

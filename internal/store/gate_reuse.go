package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/policy"
)

// gateNeutral are the audited record types the gate input never reads: a
// transaction whose events are all of these leaves the data version alone,
// so an evaluation gathered before it stays reusable. Every other record
// type (and any type added later) counts as a change: safe by default.
var gateNeutral = map[string]bool{
	"gate_evaluation": true, "signal": true, "incident": true, "known_error": true, "pir": true,
	"webhook": true, "token": true, "request": true,
}

// gateDataChanged returns 1 if any of evs is about a record the gate may
// read, else 0: the increment of audit_head.data_version for a commit.
func gateDataChanged(evs []audit.Event) int {
	for i := range evs {
		if !gateNeutral[evs[i].RecordType] {
			return 1
		}
	}
	return 0
}

// GateSnapshot is a gathered gate input with what an evaluation record
// needs. Snapshots are shared between evaluations: read-only.
type GateSnapshot struct {
	Input gate.Input
	// Revisions maps every record read (id → revision); RevisionsJSON is its
	// canonical encoding (keys sorted) and Digest the hex SHA-256 of that.
	Revisions     map[string]int64
	RevisionsJSON []byte
	Digest        string
	// DataVersion is audit_head.data_version when the input was read.
	DataVersion int64
	gathered    time.Time // q.At of the gathering request
	until       time.Time // a succeeded deployment finishing then changes what is live; zero: none
	// Prepared is the input judged by the time-independent rules, set by
	// the first evaluation that needs it (gate.Prepare is pure: a race
	// only prepares twice).
	Prepared atomic.Pointer[gate.Prepared]
}

// GateSnapshot returns the gate input for q under pol. With q.Reuse (q.At
// is the time of the request, which only moves forward) it may return a
// snapshot gathered for an earlier request with the same release,
// environment, path and policy: only while audit_head.data_version is
// unchanged (nothing the gate reads was written since, on any replica: the
// version is read from the database on every call) and no deployment known
// then has finished since. Otherwise it gathers anew (GateInput's
// queries). Returns NotFound naming the release or the environment.
func (s *Store) GateSnapshot(ctx context.Context, q GateQuery, pol *policy.Policy) (*GateSnapshot, error) {
	var key snapKey
	if q.Reuse {
		ver, err := s.dataVersion(ctx)
		if err != nil {
			return nil, unavailable(err, "gate data version")
		}
		key = keyOf(q, pol)
		if sn := snapsFor(s).get(key); sn != nil && sn.DataVersion == ver && !q.At.Before(sn.gathered) &&
			(sn.until.IsZero() || q.At.Before(sn.until)) {
			return sn, nil
		}
	}
	in, revs, info, err := s.gateInput(ctx, q, pol)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(revs) // encoding/json sorts map keys: canonical
	if err != nil {
		return nil, fault.Wrap(err, "encode input revisions")
	}
	sum := sha256.Sum256(b)
	sn := &GateSnapshot{Input: in, Revisions: revs, RevisionsJSON: b, Digest: hex.EncodeToString(sum[:]),
		DataVersion: info.version, gathered: q.At, until: info.until}
	if q.Reuse {
		snapsFor(s).put(key, sn)
	}
	return sn, nil
}

// snapKey names what a snapshot answers: release, environment, path, and
// the policy by identity (the policy in force is one value until it is
// replaced; hashing its content on every request cost a fifth of an
// evaluation). The key holds the pointer, so a replaced policy's address
// cannot be reused while its snapshots are cached.
type snapKey struct {
	release int64
	env     string
	pol     *policy.Policy
	path    string
}

func keyOf(q GateQuery, pol *policy.Policy) snapKey {
	k := snapKey{release: q.Release, env: q.Env, pol: pol}
	if len(q.Path) > 0 {
		var b strings.Builder
		for _, st := range q.Path {
			b.WriteString(st.Name + "\x01" + st.Environment + "\x01" + strconv.Itoa(st.Weight) + "\x01" + strings.Join(st.Tags, "\x02") + "\x00")
		}
		k.path = b.String()
	}
	return k
}

// snapCache holds the latest snapshot per key, at most maxSnaps (when full
// it starts again empty: snapshots are cheap to gather again, and a bound
// matters more than the hit rate of a cache this size).
type snapCache struct {
	mu sync.Mutex
	m  map[snapKey]*GateSnapshot
}

const maxSnaps = 1024

func snapsFor(s *Store) *snapCache { return &s.snaps }

func (c *snapCache) get(key snapKey) *GateSnapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *snapCache) put(key snapKey, sn *GateSnapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[key]; old != nil && old.DataVersion > sn.DataVersion {
		return // a later gathering won the race
	}
	if c.m == nil || len(c.m) >= maxSnaps {
		c.m = map[snapKey]*GateSnapshot{}
	}
	c.m[key] = sn
}

// dataVersion reads audit_head.data_version. On PostgreSQL concurrent
// callers share reads (a round trip each was a fifth of a polled gate
// call): each caller gets the result of a read that started after it
// asked, never an older one, so the answer is as fresh as its own read.
func (s *Store) dataVersion(ctx context.Context) (int64, error) {
	read := func(ctx context.Context) (int64, error) {
		var v int64
		err := s.queryRowHot(ctx, `SELECT data_version FROM audit_head WHERE id = 1`).Scan(&v)
		return v, err
	}
	if s.dialect != Postgres {
		return read(ctx)
	}
	return versionReaderFor(s).get(ctx, read)
}

// versionReader coalesces concurrent reads of one value: callers queue,
// and one goroutine reads for everyone queued before its read started.
type versionReader struct {
	mu      sync.Mutex
	waiting []chan versionRead
	reading bool
}

type versionRead struct {
	v   int64
	err error
}

func versionReaderFor(s *Store) *versionReader { return &s.versions }

func (r *versionReader) get(ctx context.Context, read func(context.Context) (int64, error)) (int64, error) {
	ch := make(chan versionRead, 1)
	r.mu.Lock()
	r.waiting = append(r.waiting, ch)
	if !r.reading {
		r.reading = true
		go r.run(read)
	}
	r.mu.Unlock()
	select {
	case res := <-ch:
		return res.v, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run reads for the callers queued so far, then for those who queued
// meanwhile, until none wait.
func (r *versionReader) run(read func(context.Context) (int64, error)) {
	for {
		r.mu.Lock()
		batch := r.waiting
		r.waiting = nil
		if len(batch) == 0 {
			r.reading = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := read(ctx)
		cancel()
		for _, ch := range batch {
			ch <- versionRead{v, err}
		}
	}
}

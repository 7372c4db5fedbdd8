package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/store"
)

// kpiRawGate is the single raw SQL aggregate of the control assessment's
// main number, control gate_and_change: production deployments of the
// period, and those without an allowed gate evaluation at their start or
// without a change that reached scheduled.
const kpiRawGate = `SELECT COUNT(*), COALESCE(SUM(CASE WHEN ge.decision IS NULL OR ge.decision <> 'allowed' OR c.id IS NULL
		OR c.status IN ('draft', 'assess', 'authorize', 'canceled') THEN 1 ELSE 0 END), 0)
	FROM deployments d JOIN environments en ON en.name = d.env AND en.tier = 'production'
	LEFT JOIN changes c ON c.id = d.change_id
	LEFT JOIN gate_evaluations ge ON ge.id = (SELECT MAX(g.id) FROM gate_evaluations g
		WHERE g.release_id = d.release_id AND g.env = d.env AND g.created_at <= d.started_at)
	WHERE d.started_at >= $1 AND d.started_at < $2`

// kpiControls times store.ControlFacts over the period against
// kpiRawGate, the audit chain verification it includes alone, then its
// set-based rest (store.ControlRecords) against kpiRawGate, and the
// verification's floor (kpiAuditFloor).
func kpiControls(ctx context.Context, st *store.Store, now time.Time) error {
	p := control.Period{Name: "bench", From: now.Add(-kpiPeriod), To: now.Add(time.Second)}
	var f control.Facts
	var gate [2]int64
	facts := func() (err error) { f, err = st.ControlFacts(ctx, p); return err }
	rawGate := func() error {
		return st.DB().QueryRowContext(ctx, kpiRawGate, ts(p.From), ts(p.To)).Scan(&gate[0], &gate[1])
	}
	_, gp, err := kpiCompareCPU(ctx, st, "control facts (store.ControlFacts)", "raw gate_and_change aggregate", facts, rawGate)
	if err != nil {
		return err
	}
	verify := func() error { _, _, err := st.VerifyAuditCheckpoint(ctx, nil); return err }
	vt, vc, err := medianOf3CPU(ctx, st, verify)
	if err != nil {
		return err
	}
	fmt.Printf("  of which the audit chain verification (%d events, not set-based) p50 %s, %.0f events/s\n",
		f.Audit.Events, vt.Round(time.Millisecond), float64(f.Audit.Events)/vt.Seconds())
	records := func() (err error) { _, err = st.ControlRecords(ctx, p); return err }
	if _, _, err := kpiCompareCPU(ctx, st, "the set-based rest (store.ControlRecords)", "raw gate_and_change aggregate", records, rawGate); err != nil {
		return err
	}
	floor, fc, chain, fold, err := kpiAuditFloor(ctx, st)
	if err != nil {
		return err
	}
	fmt.Printf("  verification p50 %s CPU %s; its floor, reading the same rows and columns without hashing: p50 %s CPU %s "+
		"(verification %.2f × the floor, CPU %.2f; the floor is %.1f × the raw aggregate); hashing alone on one goroutine: chain %s + tree fold %s\n",
		vt.Round(time.Millisecond), vc.Round(time.Millisecond), floor.Round(time.Millisecond), fc.Round(time.Millisecond),
		float64(vt)/float64(floor), float64(vc)/float64(fc), float64(floor)/float64(gp), chain.Round(time.Millisecond), fold.Round(time.Millisecond))
	res := control.Assess(f)
	fmt.Printf("  gate_and_change: sample %d, exceptions %d (raw: %v); load average %s\n", res[0].Sample, len(res[0].Exceptions), gate, loadAvg())
	return nil
}

// kpiAuditFloor times what the audit chain verification cannot go below:
// reading the same rows and columns as it does (audit_events in the same
// parallel seq ranges, audit_tree's hashes) without hashing — the read
// floor, median of 3, with its CPU — and the hashing alone, timed over batches of rows
// already read, on one goroutine: the chain re-hash with the leaf hashes,
// then the tree fold.
func kpiAuditFloor(ctx context.Context, st *store.Store) (floor, cpu, chain, fold time.Duration, err error) {
	var head int64
	if err := st.DB().QueryRowContext(ctx, `SELECT seq FROM audit_head WHERE id = 1`).Scan(&head); err != nil {
		return 0, 0, 0, 0, err
	}
	floor, cpu, err = medianOf3CPU(ctx, st, func() error { return auditReadAll(ctx, st, head) })
	if err != nil {
		return 0, 0, 0, 0, err
	}
	chain, fold, err = auditHashAlone(ctx, st, head)
	return floor, cpu, chain, fold, err
}

// medianOf3CPU runs fn three times and returns the median time and the
// median CPU (this process and the PostgreSQL backends) of a run.
func medianOf3CPU(ctx context.Context, st *store.Store, fn func() error) (time.Duration, time.Duration, error) {
	var ds, cs []time.Duration
	for i := 0; i < 3; i++ {
		c0, t0 := selfCPU()+pagesBackendCPU(ctx, st), time.Now()
		if err := fn(); err != nil {
			return 0, 0, err
		}
		ds, cs = append(ds, time.Since(t0)), append(cs, selfCPU()+pagesBackendCPU(ctx, st)-c0)
	}
	return median(ds), median(cs), nil
}

// auditReadAll reads events 1..head and the tree's hashes as verifyChain
// splits them (min(CPUs, 4) ranges from 100k events), scanning every column.
func auditReadAll(ctx context.Context, st *store.Store, head int64) error {
	parts := int64(min(runtime.NumCPU(), 4))
	if head < 100_000 {
		parts = 1
	}
	errs := make([]error, parts)
	var wg sync.WaitGroup
	for i := int64(0); i < parts; i++ {
		lo, hi := 1+i*head/parts, (i+1)*head/parts
		wg.Add(1)
		go func() {
			defer wg.Done()
			var e audit.Event
			errs[i] = auditEvents(ctx, st, lo, hi, func(*audit.Event) error { return nil }, &e)
			if errs[i] == nil {
				errs[i] = auditTree(ctx, st, tlog.StoredHashCount(lo-1), tlog.StoredHashCount(hi), nil)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// auditHashAlone reads the whole chain in batches and times only the
// re-hash of each batch (audit.Verifier, leaf hashes), then reads the tree
// and times audit.FoldTree over it.
func auditHashAlone(ctx context.Context, st *store.Store, head int64) (chain, fold time.Duration, err error) {
	v := audit.NewVerifier()
	leaves := make([]tlog.Hash, 0, head)
	batch := make([]audit.Event, 4096)
	n := 0
	hash := func() error {
		t0 := time.Now()
		defer func() { chain += time.Since(t0) }()
		for i := range batch[:n] {
			if b := v.Add(&batch[i]); b != nil {
				return b
			}
			leaf, err := audit.LeafHash(batch[i].Hash)
			if err != nil {
				return err
			}
			leaves = append(leaves, leaf)
		}
		n = 0
		return nil
	}
	err = auditEvents(ctx, st, 1, head, func(e *audit.Event) error {
		batch[n], n = *e, n+1
		if n < len(batch) {
			return nil
		}
		return hash()
	}, &audit.Event{})
	if err == nil {
		err = hash()
	}
	if err != nil {
		return 0, 0, err
	}
	tree := make([]tlog.Hash, 0, tlog.StoredHashCount(head))
	if err := auditTree(ctx, st, 0, tlog.StoredHashCount(head), &tree); err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	_, _, b := audit.FoldTree(leaves, tree, -1)
	fold = time.Since(t0)
	if b != nil {
		return 0, 0, b
	}
	return chain, fold, nil
}

// auditEvents scans events lo..hi, every column verification reads, into e
// and calls fn with it (at: SQLite's text kept as AtText, as the store does).
func auditEvents(ctx context.Context, st *store.Store, lo, hi int64, fn func(*audit.Event) error, e *audit.Event) error {
	rows, err := st.DB().QueryContext(context.WithoutCancel(ctx), `SELECT seq, at, actor, role, action, record_type, record_id,
		record_rev, before_json, after_json, request_id, prev_hash, hash FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var at any
	for rows.Next() {
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID, &e.RecordVersion,
			&e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return err
		}
		switch x := at.(type) {
		case string:
			e.AtText = x
		case time.Time:
			e.At, e.AtText = x, ""
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// auditTree reads the stored tree hashes lo..hi-1, appending them to out when not nil.
func auditTree(ctx context.Context, st *store.Store, lo, hi int64, out *[]tlog.Hash) error {
	rows, err := st.DB().QueryContext(context.WithoutCancel(ctx), `SELECT hash FROM audit_tree WHERE idx >= $1 AND idx < $2 ORDER BY idx`, lo, hi)
	if err != nil {
		return err
	}
	defer rows.Close()
	var raw sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		if out != nil {
			*out = append(*out, tlog.Hash(raw))
		}
	}
	return rows.Err()
}

package main

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"fixgate/internal/audit"
	"fixgate/internal/store"
)

// benchVerify writes c.events chained audit events directly (the write path
// is measured by fill) in two parts, 60% then 40%; after each, the store is
// reopened, which builds the Merkle tree over the new events (as for a
// database older than the tree), and a checkpoint is signed. It times the
// offline verification with the first checkpoint and without, and the
// consistency proof between the two checkpoints.
func benchVerify(ctx context.Context, c config) error {
	dsn, cleanup, err := freshDSN(c.db)
	if err != nil {
		return err
	}
	defer cleanup()
	key, pub, err := audit.GenerateKey("fixgate.bench/audit")
	if err != nil {
		return err
	}
	var cps [2]audit.Checkpoint
	prev := audit.GenesisHash
	for i, upto := range []int{c.events * 6 / 10, c.events} {
		from := 1 + c.events*6/10*i
		if prev, err = writeChain(ctx, dsn, from, upto, prev); err != nil {
			return err
		}
		t0 := time.Now()
		st, err := store.Open(ctx, dsn)
		if err != nil {
			return err
		}
		built := time.Since(t0)
		signed, err := st.SignCheckpoint(ctx, key)
		st.Close()
		if err != nil {
			return err
		}
		if cps[i], err = audit.OpenCheckpoint(signed, pub); err != nil {
			return err
		}
		fmt.Printf("[verify] tree built over events %d..%d at open: %s; checkpoint signed at %d events\n", from, upto, built.Round(time.Millisecond), cps[i].Size)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, cp := range []*audit.Checkpoint{nil, &cps[0]} {
		t0 := time.Now()
		n, broken, err := st.VerifyAuditCheckpoint(ctx, cp)
		elapsed := time.Since(t0)
		if err != nil {
			return err
		}
		if broken != nil || n != int64(c.events) {
			return fmt.Errorf("verify: %d events, %v", n, broken)
		}
		how := "without a checkpoint"
		if cp != nil {
			how = fmt.Sprintf("with the checkpoint of %d events", cp.Size)
		}
		fmt.Printf("\n[verify] %d events on %s %s: %s, %.0f events/s (goal >= 300000/s on SQLite)\n", n, st.Dialect(), how,
			elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	}
	return benchConsistency(ctx, st, cps[0], cps[1])
}

// benchConsistency times 20 consistency proofs between two checkpoints
// (read from the stored tree, then checked) and prints the median and worst.
func benchConsistency(ctx context.Context, st *store.Store, old, cur audit.Checkpoint) error {
	var times []time.Duration
	var hashes int
	for range 20 {
		t0 := time.Now()
		p, err := st.ConsistencyProof(ctx, old.Size, cur.Size)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(p, cur.Size, cur.Root, old.Size, old.Root); err != nil {
			return err
		}
		times = append(times, time.Since(t0))
		hashes = len(p)
	}
	slices.Sort(times)
	fmt.Printf("[verify] consistency proof %d -> %d events (%d hashes): median %s, worst %s of 20 (goal <= 100 ms)\n",
		old.Size, cur.Size, hashes, times[10], times[19])
	return nil
}

// writeChain appends events from..upto (sealed after prev) and the head
// row directly, and returns the last hash.
func writeChain(ctx context.Context, dsn string, from, upto int, prev string) (string, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return "", err
	}
	defer st.Close()
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	var events []audit.Event
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for seq := from; seq <= upto; seq++ {
		e := audit.Event{Seq: int64(seq), At: at.Add(time.Duration(seq) * time.Millisecond), Actor: "alice", Role: "engineer",
			Action: "incident.create", RecordType: "incident", RecordID: fmt.Sprint("INC-", seq), RecordVersion: 1,
			After: fmt.Sprintf(`{"id":"INC-%d","title":"checkout latency above SLO","severity":2,"labels":{"service":"checkout","env":"prod-eu"}}`, seq)}
		e.Seal(prev)
		prev = e.Hash
		events = append(events, e)
		if len(events) == 5000 || seq == upto {
			if err := writeEvents(ctx, tx, st.Dialect() == store.SQLite, events); err != nil {
				return "", err
			}
			events = events[:0]
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, upto, prev); err != nil {
		return "", err
	}
	return prev, tx.Commit()
}

// writeEvents stores events with each database's fastest plain insert.
func writeEvents(ctx context.Context, tx *sql.Tx, sqlite bool, evs []audit.Event) error {
	const head = `INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash) VALUES `
	args := func(e audit.Event) []any {
		return []any{e.Seq, e.At.Format(audit.TimeFormat), e.Actor, e.Role, e.Action, e.RecordType, e.RecordID, e.RecordVersion, e.Before, e.After, e.RequestID, e.PrevHash, e.Hash}
	}
	if sqlite {
		st, err := tx.PrepareContext(ctx, head+"("+ph(1, 13)+")")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range evs {
			if _, err := st.ExecContext(ctx, args(e)...); err != nil {
				return err
			}
		}
		return nil
	}
	for start := 0; start < len(evs); start += 500 {
		var b strings.Builder
		b.WriteString(head)
		var all []any
		for i, e := range evs[start:min(start+500, len(evs))] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + ph(len(all)+1, 13) + ")")
			all = append(all, args(e)...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), all...); err != nil {
			return err
		}
	}
	return nil
}

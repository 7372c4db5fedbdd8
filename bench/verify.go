package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/store"
)

// benchVerify writes c.events chained audit events directly (the write path
// is measured by fill) and times the offline verification over them.
func benchVerify(ctx context.Context, c config) error {
	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer done()
	db := st.DB()
	prev := audit.GenesisHash
	var events []audit.Event
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for seq := 1; seq <= c.events; seq++ {
		e := audit.Event{Seq: int64(seq), At: at.Add(time.Duration(seq) * time.Millisecond), Actor: "alice", Role: "engineer",
			Action: "incident.create", RecordType: "incident", RecordID: fmt.Sprint("INC-", seq), RecordVersion: 1,
			After: fmt.Sprintf(`{"id":"INC-%d","title":"checkout latency above SLO","severity":2,"labels":{"service":"checkout","env":"prod-eu"}}`, seq)}
		e.Seal(prev)
		prev = e.Hash
		events = append(events, e)
		if len(events) == 5000 || seq == c.events {
			if err := writeEvents(ctx, tx, st.Dialect() == store.SQLite, events); err != nil {
				tx.Rollback()
				return err
			}
			events = events[:0]
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, c.events, prev); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	t0 := time.Now()
	n, broken, err := st.VerifyAudit(ctx)
	elapsed := time.Since(t0)
	if err != nil {
		return err
	}
	if broken != nil || n != int64(c.events) {
		return fmt.Errorf("verify: %d events, %v", n, broken)
	}
	fmt.Printf("\n[verify] %d events on %s: %s, %.0f events/s (goal >= 300000/s on SQLite)\n", n, st.Dialect(), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())
	return nil
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

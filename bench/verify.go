package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/audit"
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
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const chunk = 500
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for start := 1; start <= c.events; start += chunk {
		end := min(start+chunk-1, c.events)
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash) VALUES `)
		var args []any
		for seq := start; seq <= end; seq++ {
			e := audit.Event{Seq: int64(seq), At: at.Add(time.Duration(seq) * time.Millisecond), Actor: "alice", Role: "engineer",
				Action: "incident.create", RecordType: "incident", RecordID: fmt.Sprint("INC-", seq), RecordVersion: 1,
				After: fmt.Sprintf(`{"id":"INC-%d","title":"checkout latency above SLO","severity":2,"labels":{"service":"checkout","env":"prod-eu"}}`, seq)}
			e.Seal(prev)
			prev = e.Hash
			if seq > start {
				b.WriteString(", ")
			}
			n := len(args)
			b.WriteString(fmt.Sprintf("($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13))
			args = append(args, e.Seq, e.At.Format(audit.TimeFormat), e.Actor, e.Role, e.Action, e.RecordType, e.RecordID, e.RecordVersion, e.Before, e.After, e.RequestID, e.PrevHash, e.Hash)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			tx.Rollback()
			return err
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

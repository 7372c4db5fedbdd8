package store

import (
	"context"
	"time"

	"fixgate/internal/audit"
)

const auditCols = `seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash`

// EachAuditEvent streams the events at or after since (zero: all) in seq
// order to fn; fn returning an error stops the walk. The *Event is reused
// between calls.
func (s *Store) EachAuditEvent(ctx context.Context, since time.Time, fn func(*audit.Event) error) error {
	q, args := `SELECT `+auditCols+` FROM audit_events ORDER BY seq`, []any{}
	if !since.IsZero() {
		q, args = `SELECT `+auditCols+` FROM audit_events WHERE at >= $1 ORDER BY seq`, []any{ts(since)}
	}
	// modernc arms an interrupt watcher on every step of a query whose
	// context can be canceled (a third of the walk's time); query without
	// cancellation and check ctx between rows instead.
	rows, err := s.db.QueryContext(context.WithoutCancel(ctx), q, args...)
	if err != nil {
		return errf(err, "read audit events")
	}
	defer rows.Close()
	var e audit.Event
	for n := 0; rows.Next(); n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return errf(err, "scan audit event")
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return errf(rows.Err(), "read audit events")
}

// VerifyAudit checks the whole chain and its head. It returns the number of
// events verified and the first break (nil if the chain is intact). Rows are
// scanned on one goroutine while the verifier hashes the previous batch.
func (s *Store) VerifyAudit(ctx context.Context) (int64, *audit.Broken, error) {
	var headSeq int64
	var headHash string
	if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, nil, errf(err, "read audit head")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []audit.Event, 4)
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]audit.Event, 0, 1024)
		err := s.EachAuditEvent(ctx, time.Time{}, func(e *audit.Event) error {
			batch = append(batch, *e)
			if len(batch) == cap(batch) {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return ctx.Err()
				}
				batch = make([]audit.Event, 0, 1024)
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			batches <- batch
		}
		scanErr <- err
	}()
	v := audit.NewVerifier()
	for batch := range batches {
		for i := range batch {
			if b := v.Add(&batch[i]); b != nil {
				cancel()
				for range batches { // let the scanner finish
				}
				return 0, b, nil
			}
		}
	}
	if err := <-scanErr; err != nil {
		return 0, nil, err
	}
	n, b := v.Finish(headSeq, headHash)
	return n, b, nil
}

type errBroken struct{}

func (errBroken) Error() string { return "audit chain broken" }

// AuditEventsFor returns the events of one record in seq order.
func (s *Store) AuditEventsFor(ctx context.Context, recordType, recordID string, limit int) ([]audit.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE record_type = $1 AND record_id = $2 ORDER BY seq LIMIT $3`,
		recordType, recordID, limit)
	if err != nil {
		return nil, errf(err, "read audit events")
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, timeCol{&e.At}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, errf(err, "scan audit event")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "read audit events")
}

// AuditDenied records a refused request (wrong role) as its own event.
func (s *Store) AuditDenied(ctx context.Context, a audit.Actor, method, path string) error {
	return s.write(ctx, a, func(tx *Tx) error {
		return tx.auditEvent(ctx, "access.denied", "request", method+" "+path, 0, nil, map[string]string{"method": method, "path": path})
	})
}

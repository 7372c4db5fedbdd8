package store

import (
	"context"
	"time"

	"fixgate/internal/audit"
)

const auditCols = `seq, at, actor, role, action, record_type, record_id, record_rev, before_json, after_json, request_id, prev_hash, hash`

// EachAuditEvent streams events with seq > afterSeq and at >= since (zero
// since: all) in seq order to fn; fn returning an error stops the walk.
func (s *Store) EachAuditEvent(ctx context.Context, since time.Time, fn func(*audit.Event) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE at >= $1 ORDER BY seq`, ts(since))
	if err != nil {
		return errf(err, "read audit events")
	}
	defer rows.Close()
	var e audit.Event
	for rows.Next() {
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
// events verified and the first break (nil if the chain is intact).
func (s *Store) VerifyAudit(ctx context.Context) (int64, *audit.Broken, error) {
	var headSeq int64
	var headHash string
	if err := s.db.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, nil, errf(err, "read audit head")
	}
	v := audit.NewVerifier()
	stop := errBroken{}
	err := s.EachAuditEvent(ctx, time.Time{}, func(e *audit.Event) error {
		if v.Add(e) != nil {
			return stop
		}
		return nil
	})
	if err != nil && err != stop {
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

package store

import (
	"context"

	"fixgate/internal/audit"
)

// RecordEventsSince returns the audit events of one record whose record
// revision is above afterRev, in the order they were written, at most
// limit: what changed since someone read the record at afterRev (a page
// answering a stale form says so). The index on (record_type, record_id)
// bounds the read by the record's own history.
func (s *Store) RecordEventsSince(ctx context.Context, recordType, recordID string, afterRev int64, limit int) ([]audit.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE record_type = $1 AND record_id = $2 AND record_rev > $3
		ORDER BY seq LIMIT $4`, recordType, recordID, afterRev, Page{Limit: limit}.Norm().Limit)
	if err != nil {
		return nil, errf(err, "read audit events")
	}
	defer rows.Close()
	out := []audit.Event{}
	for rows.Next() {
		var e audit.Event
		if err := rows.Scan(&e.Seq, auditAtCol{&e.At, &e.AtText}, &e.Actor, &e.Role, &e.Action, &e.RecordType, &e.RecordID,
			&e.RecordVersion, &e.Before, &e.After, &e.RequestID, &e.PrevHash, &e.Hash); err != nil {
			return nil, errf(err, "scan audit event")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "read audit events")
}

package store

import (
	"context"

	"fixgate/internal/audit"
)

// AuditEventsAfter returns the events of one record written at a revision
// above rev, in seq order, at most limit: what changed on the record since
// a reader saw it at rev (a stale form says so). Events that carry no
// revision (0, such as measurements) are not changes of the record and are
// left out.
func (s *Store) AuditEventsAfter(ctx context.Context, recordType, recordID string, rev int64, limit int) ([]audit.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events WHERE record_type = $1 AND record_id = $2
		AND record_rev > $3 ORDER BY seq LIMIT $4`, recordType, recordID, rev, limit)
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

package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"fixgate/internal/audit"
	"fixgate/internal/ident"
)

// Mismatch is a record whose current row is not the after-image of its
// last audited event: the row was written outside the store.
type Mismatch struct {
	RecordType string `json:"record_type"`
	RecordID   string `json:"record_id"`
	Reason     string `json:"reason"`
}

// reconciled lists the record types whose every state-changing event
// carries the record's full after-image (the record as the store returns
// it): how to list the ids of its rows, and how the store loads one. Other
// types are not reconciled (docs/operations.md says why); incidents, for
// one, are linked to problems by an incident.link event that carries the
// link only, not the incident's after-image.
var reconciled = []struct {
	recordType string
	ids        string // SQL: the key of every row
	load       func(ctx context.Context, s *Store, key string) (any, error)
}{
	{"problem", `SELECT id FROM problems`, numbered(ident.Problem, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetProblem(ctx, id) })},
	{"release", `SELECT id FROM releases`, numbered(ident.Release, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetRelease(ctx, id) })},
	{"change", `SELECT id FROM changes`, numbered(ident.Change, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetChange(ctx, id) })},
	{"approval", `SELECT id FROM approvals`, numbered(ident.Approval, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetApproval(ctx, id) })},
	{"deployment", `SELECT id FROM deployments`, numbered(ident.Deployment, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetDeployment(ctx, id) })},
	{"pir", `SELECT id FROM pirs`, numbered(ident.PIR, func(ctx context.Context, s *Store, id int64) (any, error) { return s.GetPIR(ctx, id) })},
	{"component_version", `SELECT id FROM component_versions`, numbered(ident.Component, func(ctx context.Context, s *Store, id int64) (any, error) {
		return s.GetComponent(ctx, ident.Component.Format(id))
	})},
	{"ci", `SELECT name FROM cis`, func(ctx context.Context, s *Store, k string) (any, error) { return s.GetCI(ctx, k) }},
	{"environment", `SELECT name FROM environments`, func(ctx context.Context, s *Store, k string) (any, error) { return s.GetEnvironment(ctx, k) }},
	{"user", `SELECT name FROM users`, func(ctx context.Context, s *Store, k string) (any, error) { return s.GetUser(ctx, k) }},
}

// numbered adapts a loader by numeric id to the record id ("PRB-12") that events carry.
func numbered(k ident.Kind, get func(context.Context, *Store, int64) (any, error)) func(context.Context, *Store, string) (any, error) {
	return func(ctx context.Context, s *Store, key string) (any, error) {
		id, err := k.Parse("id", key)
		if err != nil {
			return nil, err
		}
		return get(ctx, s, id)
	}
}

// ReconcileRecords checks that every row of the reconciled record types
// equals the after-image of the record's last audited event, and that
// every audited record still has its row. It returns the records that do
// not, in type and id order.
func (s *Store) ReconcileRecords(ctx context.Context) ([]Mismatch, error) {
	out := []Mismatch{}
	for _, r := range reconciled {
		keys, err := s.rowKeys(ctx, r.ids, r.recordType)
		if err != nil {
			return nil, err
		}
		audited, err := s.auditedIDs(ctx, r.recordType)
		if err != nil {
			return nil, err
		}
		for _, id := range keys {
			delete(audited, id)
			rec, err := r.load(ctx, s, id)
			if err != nil {
				return nil, fmt.Errorf("reconcile %s %s: %w", r.recordType, id, err)
			}
			if why, err := s.reconcileOne(ctx, r.recordType, id, rec); err != nil {
				return nil, err
			} else if why != "" {
				out = append(out, Mismatch{RecordType: r.recordType, RecordID: id, Reason: why})
			}
		}
		for _, id := range sortedKeys(audited) {
			if image, _ := s.lastImage(ctx, r.recordType, id); image != "" {
				out = append(out, Mismatch{RecordType: r.recordType, RecordID: id, Reason: "audited record has no row (deleted outside the store)"})
			}
		}
	}
	return out, nil
}

// reconcileOne compares one loaded record with its last after-image and
// says what differs ("" when they agree).
func (s *Store) reconcileOne(ctx context.Context, recordType, id string, rec any) (string, error) {
	image, err := s.lastImage(ctx, recordType, id)
	if err != nil {
		return "", err
	}
	if image == "" {
		return "row has no audited after-image (written outside the store)", nil
	}
	row, err := json.Marshal(rec)
	if err != nil {
		return "", err
	}
	field, err := audit.Reconcile(row, []byte(image))
	if err != nil {
		return "", fmt.Errorf("reconcile %s %s: %w", recordType, id, err)
	}
	if field != "" {
		return fmt.Sprintf("field %q differs from the last audited after-image (row edited outside the store)", field), nil
	}
	return "", nil
}

// lastImage returns the after-image of the record's last event that
// carries one ("" if none, or if the last such event deleted it).
func (s *Store) lastImage(ctx context.Context, recordType, id string) (string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT after_json FROM audit_events WHERE record_type = $1 AND record_id = $2 ORDER BY seq DESC`,
		recordType, id)
	if err != nil {
		return "", errf(err, "read audit events")
	}
	defer rows.Close()
	for rows.Next() {
		var after string
		if err := rows.Scan(&after); err != nil {
			return "", errf(err, "read audit events")
		}
		if after == "" || audit.IsImageOf(after, id) {
			return after, nil
		}
	}
	return "", errf(rows.Err(), "read audit events")
}

// rowKeys returns the record ids of every row listed by q.
func (s *Store) rowKeys(ctx context.Context, q, recordType string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, errf(err, "list %s rows", recordType)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k any
		if err := rows.Scan(&k); err != nil {
			return nil, errf(err, "list %s rows", recordType)
		}
		switch v := k.(type) {
		case int64:
			out = append(out, recordKind(recordType).Format(v))
		case string:
			out = append(out, v)
		case []byte:
			out = append(out, string(v))
		default:
			return nil, fmt.Errorf("list %s rows: key of type %T", recordType, k)
		}
	}
	return out, errf(rows.Err(), "list %s rows", recordType)
}

func recordKind(recordType string) ident.Kind {
	return map[string]ident.Kind{"problem": ident.Problem, "release": ident.Release, "change": ident.Change,
		"approval": ident.Approval, "deployment": ident.Deployment, "pir": ident.PIR, "component_version": ident.Component}[recordType]
}

// auditedIDs returns the ids of every record of a type that has events.
func (s *Store) auditedIDs(ctx context.Context, recordType string) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT record_id FROM audit_events WHERE record_type = $1`, recordType)
	if err != nil {
		return nil, errf(err, "read audit events")
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, errf(err, "read audit events")
		}
		out[id] = true
	}
	return out, errf(rows.Err(), "read audit events")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/export"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// exportKinds maps the exportable record kinds to their audit record type,
// title and ISO/IEC 20000-1:2018 clause.
var exportKinds = map[string]struct{ recordType, title, clause string }{
	ident.Release.Prefix:    {"release", "Release record", "8.5.3 Release and deployment management"},
	ident.Change.Prefix:     {"change", "Change record", "8.5.1 Change management"},
	ident.PIR.Prefix:        {"pir", "Post-implementation review", "8.6.3 Problem management"},
	ident.Assessment.Prefix: {"assessment", "Control assessment", "8.5.1, 8.5.3, 8.6.3 (controls)"},
}

// maxExportEvents bounds the audit events one export reads.
const maxExportEvents = 5000

// ExportDocument builds the evidence document of record (REL-n, CHG-n,
// PIR-n, ASSESS-n): one statement per audit event of the record (an
// assessment adds one per control and exception, resting on its creation
// event), each with the event's sequence number and hash and whether the
// latest stored checkpoint covers it. Returns Invalid naming "record" for
// another kind and NotFound when the record has no audit event.
func (s *Store) ExportDocument(ctx context.Context, record string) (export.Document, error) {
	k, ok := ident.KindOf(record)
	spec, known := exportKinds[k.Prefix]
	if !ok || !known {
		return export.Document{}, fault.Field("record", "must be REL-n, CHG-n, PIR-n or ASSESS-n, got %q", record)
	}
	n, err := k.Parse("record", record)
	if err != nil {
		return export.Document{}, err
	}
	id := k.Format(n)
	evs, err := s.AuditEventsFor(ctx, spec.recordType, id, maxExportEvents)
	if err != nil {
		return export.Document{}, err
	}
	if len(evs) == 0 {
		return export.Document{}, fault.NotFoundf("%s %s not found", k.Name, id)
	}
	d := export.Document{Record: id, Title: spec.title, Clause: spec.clause, Generated: s.Now(), Statements: []export.Statement{}}
	if d.Checkpoint, err = s.exportCheckpoint(ctx); err != nil {
		return d, err
	}
	for _, e := range evs {
		for _, text := range statements(e) {
			d.Statements = append(d.Statements, export.Statement{Text: text, At: e.At, Event: e.Seq, Hash: e.Hash,
				Covered: d.Checkpoint != nil && e.Seq <= d.Checkpoint.Size})
		}
	}
	return d, nil
}

// exportCheckpoint returns the latest stored checkpoint, nil when none.
func (s *Store) exportCheckpoint(ctx context.Context) (*export.Checkpoint, error) {
	signed, err := s.LatestCheckpoint(ctx)
	if fault.CodeOf(err) == fault.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cp, err := audit.ParseSignedCheckpoint(signed)
	if err != nil {
		return nil, fmt.Errorf("latest checkpoint: %w", err)
	}
	return &export.Checkpoint{Origin: cp.Origin, Size: cp.Size, Root: base64.StdEncoding.EncodeToString(cp.Root[:])}, nil
}

// statements says what one audit event records: who did what at which
// revision and the status it left; an assessment's creation also states
// every control's result and exception.
func statements(e audit.Event) []string {
	var after struct {
		Status  string           `json:"status"`
		Results []control.Result `json:"results"`
	}
	_ = json.Unmarshal([]byte(e.After), &after) // images without these fields state the action alone
	head := fmt.Sprintf("%s (%s) recorded %s on %s, revision %d", e.Actor, e.Role, e.Action, e.RecordID, e.RecordVersion)
	if after.Status != "" {
		head += ", status " + after.Status
	}
	out := []string{head}
	for _, r := range after.Results {
		verdict := "passed"
		if !r.Passed {
			verdict = fmt.Sprintf("%d exception(s)", len(r.Exceptions))
		}
		out = append(out, fmt.Sprintf("control %s (clause %s, %s): sample %d, %s", r.ID, r.Clause, r.Title, r.Sample, verdict))
		for _, x := range r.Exceptions {
			out = append(out, fmt.Sprintf("exception to %s: %s: %s", r.ID, x.Record, strings.TrimSpace(x.Reason)))
		}
	}
	return out
}

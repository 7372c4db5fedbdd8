package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/store"
)

// auditFormTime is the layout of the page's datetime-local inputs (UTC).
const auditFormTime = "2006-01-02T15:04"

// auditRecordTypes are the record types the filter offers: every
// record_type the store audits (TestAuditRecordTypesCoverTheStore reads
// them from internal/store's auditEvent calls).
var auditRecordTypes = []string{"problem", "incident", "known_error", "release", "change", "change_checklist", "deployment",
	"approval", "pir", "rca_validation", "problem_resolution", "gate_evaluation", "signal", "component_version", "ci",
	"environment", "cab_meeting", "cycle", "assessment", "policy", "user", "token", "session", "request", "webhook",
	"artifact", "change_model"}

// auditKinds maps a record id's prefix to its audit record type, so that
// "PRB-3" alone is enough to filter by record.
var auditKinds = map[string]string{"PRB": "problem", "KE": "known_error", "INC": "incident", "CHG": "change",
	"REL": "release", "DEP": "deployment", "PIR": "pir", "APR": "approval", "CV": "component_version", "GATE": "gate_evaluation",
	"CYC": "cycle", "ASSESS": "assessment"}

// auditPage is the data of audit.html.
type auditPage struct {
	RecordType, RecordID, Actor, Action, From, To string
	Types                                         []string
	Events                                        []auditRow
	Next                                          string
	Bounded                                       *store.AuditPage // the page stopped after store.AuditScan events
	Scan                                          int
	Head                                          store.AuditHead
	Checkpoint                                    *store.CheckpointInfo
	SinceCheckpoint                               int64
	Verified                                      *verifyResult
}

// auditRow is an event as listed, with a link to its record's page.
type auditRow struct {
	audit.Event
	Link   string
	Detail string // the after image, cut to auditDetail bytes
}

type verifyResult struct {
	OK       bool
	Verified int64
	BrokenAt int64
	Reason   string
}

const auditDetail = 1000

// auditLog lists the audit trail newest first, filtered by record (type
// and id), actor, action and time range (UTC), one page at a time
// (store.ListAuditEvents: one index per filter), with the chain's head and
// the latest signed checkpoint. Filters that each select many events but
// few together are read store.AuditScan events at a time (the page says
// how far it read; its next link reads on). Verifying the whole chain is a
// button.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.auditPage(w, r, v, nil)
}

// verifyAudit verifies the whole chain (store.VerifyAudit, as GET
// /api/v1/audit/verify): an intact chain redirects with the count; a broken
// one is shown on the page.
func (s *Server) verifyAudit(w http.ResponseWriter, r *http.Request, v *visit) error {
	n, b, err := s.store.VerifyAudit(r.Context())
	if err != nil {
		return err
	}
	if b == nil {
		return seeDone(w, r, "/audit", fmt.Sprintf("The audit chain verified: %d events, hashes, head and Merkle tree intact.", n))
	}
	return s.auditPage(w, r, v, &verifyResult{Verified: n, BrokenAt: b.Seq, Reason: b.Reason})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v *visit, vr *verifyResult) error {
	q := r.URL.Query()
	d := auditPage{RecordType: q.Get("record_type"), RecordID: strings.TrimSpace(q.Get("record_id")), Actor: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), From: q.Get("from"), To: q.Get("to"), Types: auditRecordTypes, Verified: vr,
		Scan: store.AuditScan}
	vw := &view{Title: "Audit trail", Path: "/audit", Data: &d, Flash: q.Get("done")}
	status := http.StatusOK
	if err := s.readAuditPage(r, &d); err != nil {
		fe := fault.As(err)
		if fe == nil || fe.Code != fault.Invalid {
			return err
		}
		vw.Error, vw.Field, status = fe.Field+": "+fe.Message, fe.Field, http.StatusBadRequest
	}
	if vr != nil {
		vw.Flash, vw.Error = "", fmt.Sprintf("The audit chain is broken at event %d: %s", vr.BrokenAt, vr.Reason)
	}
	return s.renderView(w, r, v, status, "audit.html", vw)
}

// readAuditPage reads the head, the latest checkpoint and the page of
// events the filters in d (and the request's cursor) select.
func (s *Server) readAuditPage(r *http.Request, d *auditPage) error {
	ctx := r.Context()
	var err error
	if d.Head, err = s.store.ReadAuditHead(ctx); err != nil {
		return err
	}
	cp, err := s.store.LatestCheckpointInfo(ctx)
	switch {
	case err == nil:
		d.Checkpoint, d.SinceCheckpoint = &cp, d.Head.Size-cp.Size
	case fault.CodeOf(err) != fault.NotFound:
		return err
	}
	f, err := auditFilter(r.URL.Query(), d)
	if err != nil {
		return err
	}
	page, err := s.store.ListAuditPage(ctx, f)
	if err != nil {
		return err
	}
	for _, e := range page.Events {
		d.Events = append(d.Events, auditRow{Event: e, Link: auditRecordLink(e.RecordType, e.RecordID), Detail: shorten(string(e.After), auditDetail)})
	}
	if page.Next != 0 {
		d.Next = withParam(r, "before", strconv.FormatInt(page.Next, 10))
	}
	if page.Bounded {
		d.Bounded = &page
	}
	return nil
}

// auditFilter checks the page's filters; a record id alone names its type
// by its prefix (PRB-3: problem).
func auditFilter(q url.Values, d *auditPage) (store.AuditFilter, error) {
	f := store.AuditFilter{RecordType: d.RecordType, RecordID: d.RecordID, Actor: d.Actor, Action: d.Action, Limit: listPageRows}
	if f.RecordID != "" && f.RecordType == "" {
		if k, ok := ident.KindOf(f.RecordID); ok {
			f.RecordType, d.RecordType = auditKinds[k.Prefix], auditKinds[k.Prefix]
		}
	}
	var err error
	if f.From, err = auditTime("from", d.From); err != nil {
		return f, err
	}
	if f.To, err = auditTime("to", d.To); err != nil {
		return f, err
	}
	if x := q.Get("before"); x != "" {
		if f.Before, err = strconv.ParseInt(x, 10, 64); err != nil || f.Before < 1 {
			return f, fault.Field("before", "is not an event number")
		}
	}
	if f.RecordID != "" && f.RecordType == "" {
		return f, fault.Field("record_type", "choose the record's type (or give an id such as PRB-3)")
	}
	return f, nil
}

// auditTime parses a datetime-local value as UTC ("" is the zero time).
func auditTime(field, x string) (time.Time, error) {
	if x == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(auditFormTime, x)
	if err != nil {
		if t, err = time.Parse(auditFormTime+":05", x); err != nil {
			return time.Time{}, fault.Field(field, "%q is not a date and time (YYYY-MM-DDTHH:MM, UTC)", x)
		}
	}
	return t, nil
}

// auditRecordLink is the page of a record, "" when it has none here. A
// change's checklist is shown on the change's page.
func auditRecordLink(recordType, id string) string {
	switch recordType {
	case "problem", "release", "deployment", "change", "cycle":
		return "/" + recordType + "s/" + url.PathEscape(id)
	case "change_checklist":
		return "/changes/" + url.PathEscape(id) + "#checklist"
	case "assessment":
		return "/reports/controls/" + url.PathEscape(id)
	case "cab_meeting":
		return "/cab?meeting=" + url.QueryEscape(id)
	}
	return ""
}

// shorten shortens s to at most n bytes at a rune boundary, marking the cut.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + " …"
}

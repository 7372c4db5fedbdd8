package store

import (
	"context"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// CABBoard is one CAB meeting as its board shows it to one person.
type CABBoard struct {
	Meeting cab.Record
	Agenda  cab.Agenda
	Roles   map[string][]string // the roles each attendee holds now
	Items   []BoardItem         // the agenda's changes, in the agenda's order
}

// BoardItem is a change on the agenda with what a decision form needs: its
// current revision and age, and why the viewer may not record a decision
// about it through the meeting (nil: they may).
type BoardItem struct {
	cab.Item
	Revision  int64
	CreatedAt time.Time
	Refusal   error
}

// CABBoard reads meeting id's board under pol for a (a.Role: the approving
// role they would act in) from one read-only snapshot: the meeting, its
// agenda (as MeetingAgenda builds it), the attendees' roles and, for each
// item, whether DecideInMeeting would refuse a's decision: the meeting's
// rules (cab.CheckDecision) and those of CreateApproval but the revision.
// It writes nothing. Returns NotFound naming the meeting.
func (s *Store) CABBoard(ctx context.Context, id int64, pol *policy.Policy, a audit.Actor) (CABBoard, error) {
	var b CABBoard
	err := s.snapshot(ctx, func(tx *Tx) error {
		m, err := scanMeeting(tx.queryRow(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE id = $1`, id))
		if err != nil {
			return meetingErr(err, id)
		}
		ag, roles, err := tx.agenda(ctx, m, pol)
		if err != nil {
			return err
		}
		b = CABBoard{Meeting: m, Agenda: ag, Roles: roles, Items: make([]BoardItem, 0, len(ag.Items))}
		for _, it := range ag.Items {
			bi, err := tx.boardItem(ctx, m, ag, roles, it, a)
			if err != nil {
				return err
			}
			b.Items = append(b.Items, bi)
		}
		return nil
	})
	return b, err
}

func (tx *Tx) boardItem(ctx context.Context, m cab.Record, ag cab.Agenda, roles map[string][]string, it cab.Item, a audit.Actor) (BoardItem, error) {
	bi := BoardItem{Item: it}
	n, _ := ident.Change.Parse("change", it.Change)
	if err := tx.queryRow(ctx, `SELECT rev, created_at FROM changes WHERE id = $1`, n).Scan(&bi.Revision, timeCol{&bi.CreatedAt}); err != nil {
		return bi, err
	}
	if _, err := cab.CheckDecision(m, ag, it.Change, a.User, roles); err != nil {
		bi.Refusal = err
		return bi, nil
	}
	x := approval.Approval{Record: it.Change, Decision: approval.Approve, Approver: a.User, Role: a.Role}
	if bi.Refusal = x.Validate(); bi.Refusal != nil {
		return bi, nil
	}
	err := tx.approvalRefusal(ctx, a, x)
	if err != nil && isRefusal(err) {
		bi.Refusal, err = err, nil
	}
	return bi, err
}

// isRefusal reports whether err is a rule's answer (a fault error) rather
// than a database failure.
func isRefusal(err error) bool {
	c := fault.CodeOf(err)
	return c != fault.Internal && c != fault.Unavailable
}

// OpenMeetings returns the scheduled and held meetings, soonest first, at
// most limit (the index on status bounds the read by what is open).
func (s *Store) OpenMeetings(ctx context.Context, limit int) ([]cab.Record, error) {
	return s.queryMeetings(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE status IN ($1, $2) ORDER BY scheduled_at, id LIMIT $3`,
		cab.Scheduled, cab.Held, Page{Limit: limit}.Norm().Limit)
}

// RecentMeetings returns meetings newest first with id below before (0:
// from the newest), at most limit.
func (s *Store) RecentMeetings(ctx context.Context, before int64, limit int) ([]cab.Record, error) {
	if before <= 0 {
		before = maxID
	}
	return s.queryMeetings(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE id < $1 ORDER BY id DESC LIMIT $2`,
		before, Page{Limit: limit}.Norm().Limit)
}

// maxID is above every row id: the start of a newest-first cursor.
const maxID = int64(1) << 62

func (s *Store) queryMeetings(ctx context.Context, q string, args ...any) ([]cab.Record, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errf(err, "list CAB meetings")
	}
	defer rows.Close()
	out := []cab.Record{}
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, errf(err, "scan CAB meeting")
		}
		out = append(out, m)
	}
	return out, errf(rows.Err(), "list CAB meetings")
}

// MeetingDecisions returns the approvals recorded in meeting id, in the
// order they were made, after p.After, at most p.Limit.
func (s *Store) MeetingDecisions(ctx context.Context, id int64, p Page) ([]approval.Approval, error) {
	p = p.Norm()
	rows, err := s.db.QueryContext(ctx, `SELECT `+approvalCols+` FROM approvals WHERE meeting_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		id, p.After, p.Limit)
	if err != nil {
		return nil, errf(err, "list CAB decisions")
	}
	defer rows.Close()
	out := []approval.Approval{}
	for rows.Next() {
		x, err := scanApproval(rows)
		if err != nil {
			return nil, errf(err, "scan CAB decision")
		}
		out = append(out, x)
	}
	return out, errf(rows.Err(), "list CAB decisions")
}

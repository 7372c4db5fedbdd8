package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

const meetingCols = `id, title, scheduled_at, attendees, status, created_by, rev, created_at, updated_at,
	held_at, canceled_at, cancel_reason, closed_at, minutes`

func scanMeeting(sc interface{ Scan(...any) error }) (cab.Record, error) {
	var m cab.Record
	var id int64
	err := sc.Scan(&id, &m.Title, timeCol{&m.ScheduledAt}, jsonCol{&m.Attendees}, &m.Status, &m.CreatedBy, &m.Revision,
		timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt}, nullTimeCol{&m.HeldAt}, nullTimeCol{&m.CanceledAt}, &m.CancelReason,
		nullTimeCol{&m.ClosedAt}, &m.Minutes)
	m.ID = cab.Meeting.Format(id)
	if m.Attendees == nil {
		m.Attendees = []string{}
	}
	return m, err
}

// CreateMeeting stores a CAB meeting after m.Validate; every attendee must
// be a user (Invalid naming "attendees").
func (s *Store) CreateMeeting(ctx context.Context, a audit.Actor, m cab.Record) (cab.Record, error) {
	if err := m.Validate(); err != nil {
		return m, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.requireNames(ctx, "attendees", "users", m.Attendees); err != nil {
			return err
		}
		m.Status, m.CreatedBy, m.Revision, m.CreatedAt, m.UpdatedAt = cab.Scheduled, a.User, 1, tx.now, tx.now
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO cab_meetings (title, scheduled_at, attendees, status, created_by, rev, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, m.Title, ts(m.ScheduledAt), jsonText(m.Attendees), m.Status,
			m.CreatedBy, m.Revision, ts(tx.now), ts(tx.now)).Scan(&id); err != nil {
			return err
		}
		m.ID = cab.Meeting.Format(id)
		return tx.auditEvent(ctx, "cab.create", "cab_meeting", m.ID, m.Revision, nil, m)
	})
	return m, err
}

// GetMeeting returns one meeting. Returns NotFound if there is none.
func (s *Store) GetMeeting(ctx context.Context, id int64) (cab.Record, error) {
	m, err := scanMeeting(s.db.QueryRowContext(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE id = $1`, id))
	return m, errf(meetingErr(err, id), "get CAB meeting")
}

// ListMeetings returns meetings in id order after p.After, at most p.Limit.
func (s *Store) ListMeetings(ctx context.Context, p Page) ([]cab.Record, error) {
	p = p.Norm()
	var w filter
	w.add("id > ?", p.After)
	rows, err := s.db.QueryContext(ctx, `SELECT `+meetingCols+` FROM cab_meetings`+w.where()+` ORDER BY id LIMIT `+w.next(p.Limit), w.args...)
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

// MeetingAgenda returns the agenda of meeting id under pol: the changes in
// authorize whose risk class needs a CAB, and whether the attendees may
// approve the problem fixes on it.
func (s *Store) MeetingAgenda(ctx context.Context, id int64, pol *policy.Policy) (cab.Agenda, error) {
	var out cab.Agenda
	err := s.write(ctx, audit.System("cab agenda"), func(tx *Tx) error { // read-only: no audit event
		m, err := scanMeeting(tx.queryRow(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE id = $1`, id))
		if err != nil {
			return meetingErr(err, id)
		}
		out, _, err = tx.agenda(ctx, m, pol)
		return err
	})
	return out, err
}

// meetingErr maps a missing row to NotFound naming meeting id.
func meetingErr(err error, id int64) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fault.NotFoundf("CAB meeting %s not found", cab.Meeting.Format(id))
	}
	return err
}

// lockMeeting reads meeting id for a mutation. The no-op UPDATE takes the
// row lock first (PostgreSQL; SQLite writers are serialised anyway), so a
// decision and a concurrent move or attendee change cannot both commit on
// what the other changed: the later one reads the committed row.
func (tx *Tx) lockMeeting(ctx context.Context, id int64) (cab.Record, error) {
	m, err := scanMeeting(tx.queryRow(ctx, `UPDATE cab_meetings SET rev = rev WHERE id = $1 RETURNING `+meetingCols, id))
	return m, meetingErr(err, id)
}

// agenda builds meeting m's agenda from the candidate changes and the
// attendees' roles, which it also returns.
func (tx *Tx) agenda(ctx context.Context, m cab.Record, pol *policy.Policy) (cab.Agenda, map[string][]string, error) {
	roles := map[string][]string{}
	for _, u := range m.Attendees {
		var r string
		if err := tx.queryRow(ctx, `SELECT roles FROM users WHERE name = $1`, u).Scan(&r); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return cab.Agenda{}, nil, err
		}
		roles[u] = splitList(r)
	}
	items, err := tx.agendaCandidates(ctx)
	if err != nil {
		return cab.Agenda{}, nil, err
	}
	return cab.BuildAgenda(pol, m, items, roles), roles, nil
}

// agendaCandidates reads the changes waiting for authorisation with the
// problems their releases resolve (bounded: changes in one open state).
func (tx *Tx) agendaCandidates(ctx context.Context) ([]cab.Item, error) {
	rows, err := tx.query(ctx, `SELECT `+changeCols+` FROM changes WHERE status = $1 ORDER BY id`, change.Authorize)
	if err != nil {
		return nil, err
	}
	var cs []change.Change
	for rows.Next() {
		c, _, err := scanChange(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	items := make([]cab.Item, 0, len(cs))
	for _, c := range cs {
		it := cab.Item{Change: c.ID, Title: c.Title, Type: c.Type, RiskClass: c.RiskClass, Release: c.Release, Env: c.Env,
			Requester: c.RequestedBy, Problems: []string{}}
		if c.Release != "" {
			rel, _ := ident.Release.Parse("release", c.Release)
			prs, err := tx.query(ctx, `SELECT problem_id FROM release_problems WHERE release_id = $1 ORDER BY problem_id`, rel)
			if err != nil {
				return nil, err
			}
			for prs.Next() {
				var p int64
				if err := prs.Scan(&p); err != nil {
					prs.Close()
					return nil, err
				}
				it.Problems = append(it.Problems, ident.Problem.Format(p))
			}
			prs.Close()
			if err := prs.Err(); err != nil {
				return nil, err
			}
		}
		it.ProblemFix = len(it.Problems) > 0
		items = append(items, it)
	}
	return items, nil
}

// DecideInMeeting records a.User's decision x about a change on the agenda
// of meeting id as an approval linked to the meeting, in one transaction:
// the meeting must be scheduled or held (Conflict naming its status), the
// decider must attend (Forbidden), the change must be on the agenda and a
// problem fix needs a problem_manager among the attendees
// (PreconditionFailed naming the missing role); then every rule of
// CreateApproval applies. Nothing is written on error.
func (s *Store) DecideInMeeting(ctx context.Context, a audit.Actor, id int64, pol *policy.Policy, x approval.Approval, ifRev int64) (approval.Approval, error) {
	x.Approver, x.Role = a.User, a.Role
	if err := x.Validate(); err != nil {
		return x, err
	}
	if x.RecordType != approval.RecordChange {
		return x, fault.Field("change", "a CAB decides about changes (CHG-n), not %s", x.Record)
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		m, err := tx.lockMeeting(ctx, id)
		if err != nil {
			return err
		}
		ag, roles, err := tx.agenda(ctx, m, pol)
		if err != nil {
			return err
		}
		if _, err := cab.CheckDecision(m, ag, x.Record, a.User, roles); err != nil {
			return err
		}
		x.Meeting = m.ID
		return tx.createApproval(ctx, a, &x, ifRev, id)
	})
	return x, err
}

// MoveMeeting moves meeting id to status to (cab.Record.Move: held records
// held_at; canceled needs the reason and closed the minutes in comment),
// guarded by ifRev (0 skips), and audits it as cab.move with the comment.
// Returns NotFound, PreconditionFailed on a stale revision, Conflict for
// an illegal move, Invalid naming "comment"; nothing is written on error.
func (s *Store) MoveMeeting(ctx context.Context, a audit.Actor, id, ifRev int64, to, comment string) (cab.Record, error) {
	var m cab.Record
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.lockMeeting(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("CAB meeting "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		m = before
		if err := m.Move(to, comment, tx.now); err != nil {
			return err
		}
		if err := tx.saveMeeting(ctx, &m); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "cab.move", "cab_meeting", m.ID, m.Revision, before, meetingMove{m, strings.TrimSpace(comment)})
	})
	return m, err
}

// meetingMove is the audited state after a move, with the mover's comment.
type meetingMove struct {
	cab.Record
	Comment string `json:"comment,omitempty"`
}

// UpdateMeeting applies fn (title, scheduled_at, attendees) to meeting id
// while it is scheduled or held, guarded by ifRev (0 skips), and audits it
// as cab.update. The date changes only while scheduled; every attendee must
// be a user; an attendee who recorded a decision in the meeting stays.
// Returns NotFound, PreconditionFailed on a stale revision, Conflict naming
// the status or the field, Invalid naming the field; nothing is written on error.
func (s *Store) UpdateMeeting(ctx context.Context, a audit.Actor, id, ifRev int64, fn func(*cab.Record) error) (cab.Record, error) {
	var m cab.Record
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.lockMeeting(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("CAB meeting "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		if err := before.CheckOpen("changes"); err != nil {
			return err
		}
		m = before
		m.Attendees = slices.Clone(before.Attendees)
		if err := fn(&m); err != nil {
			return err
		}
		keep := before // status and the lifecycle fields change only through MoveMeeting
		keep.Title, keep.ScheduledAt, keep.Attendees = m.Title, m.ScheduledAt, m.Attendees
		m = keep
		if err := m.Validate(); err != nil {
			return err
		}
		if err := m.CheckEdit(before); err != nil {
			return err
		}
		if err := tx.requireNames(ctx, "attendees", "users", m.Attendees); err != nil {
			return err
		}
		if err := tx.keepDeciders(ctx, id, before, m); err != nil {
			return err
		}
		if err := tx.saveMeeting(ctx, &m); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "cab.update", "cab_meeting", m.ID, m.Revision, before, m)
	})
	return m, err
}

// keepDeciders refuses (Conflict naming "attendees") to remove an attendee
// who recorded a decision in meeting id: the decision stays, so must they.
func (tx *Tx) keepDeciders(ctx context.Context, id int64, before, after cab.Record) error {
	var gone []string
	for _, u := range before.Attendees {
		if !slices.Contains(after.Attendees, u) {
			gone = append(gone, u)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	rows, err := tx.query(ctx, `SELECT DISTINCT approver FROM approvals WHERE meeting_id = $1 ORDER BY approver`, id)
	if err != nil {
		return err
	}
	defer rows.Close()
	var kept []string
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return err
		}
		if slices.Contains(gone, u) {
			kept = append(kept, u)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(kept) > 0 {
		return &fault.Error{Code: fault.Conflict, Field: "attendees",
			Message: strings.Join(kept, ", ") + " recorded decisions in " + before.ID + " and cannot be removed from its attendees"}
	}
	return nil
}

// saveMeeting writes every field a person or a move changes, at the next
// revision (m.Revision and m.UpdatedAt are set), provided the row is still
// at the revision read (updateRev).
func (tx *Tx) saveMeeting(ctx context.Context, m *cab.Record) error {
	id, _ := cab.Meeting.Parse("id", m.ID)
	old := m.Revision
	m.Revision, m.UpdatedAt = m.Revision+1, tx.now
	return tx.updateRev(ctx, "CAB meeting "+m.ID, old, `UPDATE cab_meetings SET title = $1, scheduled_at = $2, attendees = $3,
		status = $4, held_at = $5, canceled_at = $6, cancel_reason = $7, closed_at = $8, minutes = $9, rev = $10, updated_at = $11
		WHERE id = $12 AND rev = $13`,
		m.Title, ts(m.ScheduledAt), jsonText(m.Attendees), m.Status, tsp(m.HeldAt), tsp(m.CanceledAt), m.CancelReason,
		tsp(m.ClosedAt), m.Minutes, m.Revision, ts(tx.now), id, old)
}

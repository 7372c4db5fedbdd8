package store

import (
	"context"
	"database/sql"
	"errors"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/change"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

const meetingCols = `id, title, scheduled_at, attendees, status, created_by, rev, created_at, updated_at`

func scanMeeting(sc interface{ Scan(...any) error }) (cab.Record, error) {
	var m cab.Record
	var id int64
	err := sc.Scan(&id, &m.Title, timeCol{&m.ScheduledAt}, jsonCol{&m.Attendees}, &m.Status, &m.CreatedBy, &m.Revision,
		timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
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
	if errors.Is(err, sql.ErrNoRows) {
		return m, fault.NotFoundf("CAB meeting %s not found", cab.Meeting.Format(id))
	}
	return m, errf(err, "get CAB meeting")
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
		m, ag, _, err := tx.agenda(ctx, id, pol)
		out = ag
		out.Meeting = m.ID
		return err
	})
	return out, err
}

// agenda reads the meeting, the candidate changes, and the attendees' roles.
func (tx *Tx) agenda(ctx context.Context, id int64, pol *policy.Policy) (cab.Record, cab.Agenda, map[string][]string, error) {
	m, err := scanMeeting(tx.queryRow(ctx, `SELECT `+meetingCols+` FROM cab_meetings WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, cab.Agenda{}, nil, fault.NotFoundf("CAB meeting %s not found", cab.Meeting.Format(id))
	}
	if err != nil {
		return m, cab.Agenda{}, nil, err
	}
	roles := map[string][]string{}
	for _, u := range m.Attendees {
		var r string
		if err := tx.queryRow(ctx, `SELECT roles FROM users WHERE name = $1`, u).Scan(&r); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return m, cab.Agenda{}, nil, err
		}
		roles[u] = splitList(r)
	}
	items, err := tx.agendaCandidates(ctx)
	if err != nil {
		return m, cab.Agenda{}, nil, err
	}
	return m, cab.BuildAgenda(pol, m, items, roles), roles, nil
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
// the decider must attend (Forbidden), the change must be on the agenda and
// a problem fix needs a problem_manager among the attendees
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
		m, ag, roles, err := tx.agenda(ctx, id, pol)
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

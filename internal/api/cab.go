package api

import (
	"net/http"
	"time"

	"fixgate/internal/approval"
	"fixgate/internal/auth"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
)

// cabRunners schedule CAB meetings.
var cabRunners = []auth.Role{auth.ReleaseManager, auth.Admin}

type cabOut = cab.Record

type cabAgendaOut = cab.Agenda

// cabCreate schedules a meeting: when, and who attends (user names).
type cabCreate struct {
	Title       string    `json:"title"`
	ScheduledAt time.Time `json:"scheduled_at"`
	Attendees   []string  `json:"attendees"`
}

// cabPatch changes a scheduled or held meeting: title and attendees (e.g. a
// problem_manager who joins late), and the date while it is scheduled.
type cabPatch struct {
	Title       *string    `json:"title"`
	ScheduledAt *time.Time `json:"scheduled_at"`
	Attendees   *[]string  `json:"attendees"` // replaces the list
	Revision    int64      `json:"revision"`
}

// cabDecisionIn is one decision of the meeting about a change on its
// agenda, recorded as an approval by the caller (an attendee) linked to the
// meeting. Role and Revision work as for POST /api/v1/approvals.
type cabDecisionIn struct {
	Change   string `json:"change"`
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
	Role     string `json:"role"`
	Revision int64  `json:"revision"`
}

func (s *Server) createCAB(w http.ResponseWriter, r *http.Request, c *call) error {
	var in cabCreate
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.store.CreateMeeting(r.Context(), c.actor, cab.Record{Title: in.Title, ScheduledAt: in.ScheduledAt.UTC(), Attendees: in.Attendees})
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusCreated, m, m.Revision)
}

func (s *Server) getCAB(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := cab.Meeting.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	m, err := s.store.GetMeeting(r.Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(w, http.StatusOK, m, m.Revision)
}

func (s *Server) listCAB(w http.ResponseWriter, r *http.Request, c *call) error {
	pg, err := page(r)
	if err != nil {
		return err
	}
	items, err := s.store.ListMeetings(r.Context(), pg)
	if err != nil {
		return err
	}
	return answerList(w, items, pg, cab.Meeting, func(x cabOut) string { return x.ID })
}

// cabAgenda answers the meeting's agenda under the policy in force.
func (s *Server) cabAgenda(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := cab.Meeting.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	ag, err := s.store.MeetingAgenda(r.Context(), id, ap.pol)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ag)
}

// cabDecide records a decision of the meeting as the caller's approval.
func (s *Server) cabDecide(w http.ResponseWriter, r *http.Request, c *call) error {
	id, err := cab.Meeting.Parse("id", r.PathValue("id"))
	if err != nil {
		return err
	}
	var in cabDecisionIn
	if err := decode(r, &in); err != nil {
		return err
	}
	role, err := approval.ActingRole(c.principal.Roles, in.Role)
	if err != nil {
		return err
	}
	rev, err := ifMatch(r, in.Revision)
	if err != nil {
		return err
	}
	ap, err := s.currentPolicy(r.Context())
	if err != nil {
		return err
	}
	actor := c.actor
	actor.Role = string(role)
	x, err := s.store.DecideInMeeting(r.Context(), actor, id, ap.pol, approval.Approval{Record: in.Change, Decision: in.Decision,
		Comment: in.Comment}, rev)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, x)
}

// patchCAB updates a scheduled or held meeting (If-Match required).
func (s *Server) patchCAB(w http.ResponseWriter, r *http.Request, c *call) error {
	var in cabPatch
	if err := decode(r, &in); err != nil {
		return err
	}
	return answerUpdate(w, r, cab.Meeting, in.Revision, true, http.StatusOK, func(id, rev int64) (cab.Record, error) {
		return s.store.UpdateMeeting(r.Context(), c.actor, id, rev, func(m *cab.Record) error {
			setIf(&m.Title, in.Title)
			if in.ScheduledAt != nil {
				m.ScheduledAt = in.ScheduledAt.UTC()
			}
			setIf(&m.Attendees, in.Attendees)
			return nil
		})
	}, func(m cab.Record) int64 { return m.Revision })
}

// moveCAB moves a meeting through its lifecycle: held, canceled (comment:
// the reason), closed (comment: the minutes).
func (s *Server) moveCAB(w http.ResponseWriter, r *http.Request, c *call) error {
	var in transition
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.To == "" {
		return fault.Field("to", "is required")
	}
	return answerUpdate(w, r, cab.Meeting, in.Revision, false, http.StatusOK, func(id, rev int64) (cab.Record, error) {
		return s.store.MoveMeeting(r.Context(), c.actor, id, rev, in.To, in.Comment)
	}, func(m cab.Record) int64 { return m.Revision })
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"fixgate/internal/approval"
	"fixgate/internal/audit"
	"fixgate/internal/cab"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/store"
)

// The CAB board (GET /cab?meeting=CAB-n): the open meetings and the
// earlier ones, and for the chosen meeting (default: the soonest open one)
// its attendees, its agenda by risk class then age, a decision form for
// each change or the reason the viewer cannot decide about it (the
// store's answer: the meeting's rules and separation of duties), and the
// decisions recorded in it. Deciding is page_cab_decide.go.

const (
	openMeetingsShown = 20
	meetingsPageSize  = 20
	decisionsPageSize = 50
)

type cabData struct {
	Open           []cab.Record
	Recent         []cab.Record
	RecentPager    pagerLink
	Board          *boardView // nil when no meeting exists
	Decisions      []approval.Approval
	DecisionsPager pagerLink
	Refusal        string // why the viewer cannot decide at all
	Changed        []audit.Event
	Form           cabForm // the posted form, kept when it is answered with an error
}

// cabForm is what a refused decision form carried.
type cabForm struct {
	Change  string
	Comment string
}

type boardView struct {
	Meeting         cab.Record
	Attendees       []attendee
	Items           []boardRow
	MayApproveFixes bool
	Missing         string
}

type attendee struct {
	Name  string
	Roles []string
}

type boardRow struct {
	store.BoardItem
	Refusal string // why the viewer cannot decide about it ("" when they may)
}

func (s *Server) cabBoard(w http.ResponseWriter, r *http.Request, v *visit) error {
	d, err := s.loadCAB(r.Context(), r, v, r.URL.Query().Get("meeting"))
	if err != nil {
		return err
	}
	return s.render(w, r, v, http.StatusOK, "cab.html", "CAB board", d)
}

// loadCAB reads the board with meeting (CAB-n, "" for the default) chosen.
func (s *Server) loadCAB(ctx context.Context, r *http.Request, v *visit, meeting string) (*cabData, error) {
	q := r.URL.Query()
	d := &cabData{}
	var err error
	if d.Open, err = s.store.OpenMeetings(ctx, openMeetingsShown); err != nil {
		return nil, err
	}
	before, err := cursor(q.Get("before"), cab.Meeting)
	if err != nil {
		return nil, err
	}
	if d.Recent, err = s.store.RecentMeetings(ctx, before, meetingsPageSize); err != nil {
		return nil, err
	}
	if n := len(d.Recent); n == meetingsPageSize {
		d.RecentPager.Next = "/cab?" + url.Values{"before": {d.Recent[n-1].ID}, "meeting": {meeting}}.Encode()
	}
	id, err := chosenMeeting(meeting, d)
	if err != nil || id == 0 {
		return d, err
	}
	a, err := actingActor(v, "")
	if err != nil {
		d.Refusal = fault.As(err).Message
	}
	if d.Board, err = s.board(ctx, id, a, d.Refusal != ""); err != nil {
		return nil, err
	}
	after, err := cursor(q.Get("decisions_after"), ident.Approval)
	if err != nil {
		return nil, err
	}
	if d.Decisions, err = s.store.MeetingDecisions(ctx, id, store.Page{After: after, Limit: decisionsPageSize}); err != nil {
		return nil, err
	}
	if n := len(d.Decisions); n == decisionsPageSize {
		d.DecisionsPager.Next = "/cab?" + url.Values{"meeting": {d.Board.Meeting.ID}, "decisions_after": {d.Decisions[n-1].ID}}.Encode()
	}
	return d, nil
}

// chosenMeeting returns the meeting asked for, else the soonest open one,
// else the newest; 0 when there is none.
func chosenMeeting(meeting string, d *cabData) (int64, error) {
	if meeting != "" {
		return cab.Meeting.Parse("meeting", meeting)
	}
	for _, ms := range [][]cab.Record{d.Open, d.Recent} {
		if len(ms) > 0 {
			return cab.Meeting.Parse("meeting", ms[0].ID)
		}
	}
	return 0, nil
}

// board reads meeting id's board for a, its agenda ordered by risk class
// (highest first) then age (oldest first). noRole: the viewer holds no
// approving role (said once for the page, not for each change).
func (s *Server) board(ctx context.Context, id int64, a audit.Actor, noRole bool) (*boardView, error) {
	pol, _, err := s.cfg.Policy(ctx)
	if err != nil {
		return nil, err
	}
	b, err := s.store.CABBoard(ctx, id, pol, a)
	if err != nil {
		return nil, err
	}
	bv := &boardView{Meeting: b.Meeting, MayApproveFixes: b.Agenda.MayApproveFixes, Missing: b.Agenda.Missing}
	for _, u := range b.Meeting.Attendees {
		bv.Attendees = append(bv.Attendees, attendee{Name: u, Roles: b.Roles[u]})
	}
	for _, it := range b.Items {
		row := boardRow{BoardItem: it}
		if it.Refusal != nil && !noRole {
			row.Refusal = refusalText(it.Refusal)
		}
		bv.Items = append(bv.Items, row)
	}
	slices.SortStableFunc(bv.Items, func(x, y boardRow) int {
		if rx, ry := policy.RiskRank(x.RiskClass), policy.RiskRank(y.RiskClass); rx != ry {
			return ry - rx
		}
		return x.CreatedAt.Compare(y.CreatedAt)
	})
	return bv, nil
}

// refusalText is the message of a rule's refusal.
func refusalText(err error) string {
	if fe := fault.As(err); fe != nil {
		return fe.Message
	}
	return err.Error()
}

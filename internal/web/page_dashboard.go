package web

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"fixgate/internal/store"
)

// dashboardView is the data of dashboard.html.
type dashboardView struct {
	store.Dashboard
	Priorities []priorityRow
	Observed   []observedRow
	LiveRows   []liveRow
	CountCap   int
	Rows       int
}

// priorityRow is one priority's open problems: how many, and the oldest.
type priorityRow struct {
	Priority int
	Count    int
	Oldest   []problemAge
}

type problemAge struct {
	ID, Title, Status, Age string
}

// observedRow is a resolved problem and what is left of its observation period.
type observedRow struct {
	ID, Title string
	Until     time.Time
	Left      string
}

// liveRow is a deployment in progress, its stage and latest measurements.
type liveRow struct {
	store.LiveDeployment
	Stage string
}

// dashboard shows what needs attention at a glance: open problems by
// priority and age, problems under observation with the days left,
// releases in flight, live deployments with their stage and latest
// measurements, blocked deployments with the first failing gate rule, and
// the recurrences of the last 30 days (store.ReadDashboard: every list
// bounded and read through an index).
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, v *visit) error {
	d, err := s.store.ReadDashboard(r.Context())
	if err != nil {
		return err
	}
	vw := dashboardView{Dashboard: d, CountCap: store.CountCap, Rows: store.DashboardRows}
	for i := range d.OpenCounts {
		row := priorityRow{Priority: i + 1, Count: d.OpenCounts[i]}
		for _, p := range d.OldestOpen[i] {
			row.Oldest = append(row.Oldest, problemAge{ID: p.ID, Title: p.Title, Status: p.Status, Age: ago(v.now, p.CreatedAt)})
		}
		vw.Priorities = append(vw.Priorities, row)
	}
	for _, p := range d.Observing {
		vw.Observed = append(vw.Observed, observedRow{ID: p.ID, Title: p.Title, Until: *p.ObservationUntil, Left: timeLeft(v.now, *p.ObservationUntil)})
	}
	for _, l := range d.Live {
		row := liveRow{LiveDeployment: l, Stage: "not started"}
		if l.CurrentStage >= 0 && l.CurrentStage < len(l.Path) {
			st := l.Path[l.CurrentStage]
			row.Stage = fmt.Sprintf("%s (%d of %d, %d %%)", st.Name, l.CurrentStage+1, len(l.Path), st.Weight)
		}
		vw.LiveRows = append(vw.LiveRows, row)
	}
	return s.render(w, r, v, http.StatusOK, "dashboard.html", "Dashboard", &vw)
}

// timeLeft says how long until end, in whole days when a day or more
// (rounded up), else hours; "over" when end has passed.
func timeLeft(now, end time.Time) string {
	d := end.Sub(now)
	switch {
	case d <= 0:
		return "period over"
	case d >= 24*time.Hour:
		return fmt.Sprintf("%d days left", int(math.Ceil(d.Hours()/24)))
	default:
		return fmt.Sprintf("%d h left", int(math.Ceil(d.Hours())))
	}
}

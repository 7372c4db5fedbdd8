package store

import (
	"context"
	"database/sql"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/matcher"
)

// CountCap bounds the counts the pages show ("1000+"): counting stops
// there, so a count never reads more than CountCap index entries.
const CountCap = 1000

// ProblemIncidents returns the incidents linked to problem id, newest
// first (id descending) before incident before (0: from the newest), at
// most limit, and how many are linked in all, counted up to CountCap
// (index incidents_problem).
func (s *Store) ProblemIncidents(ctx context.Context, id, before int64, limit int) ([]incident.Incident, int, error) {
	limit = Page{Limit: limit}.Norm().Limit
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE problem_id = $1 AND id < $2
		ORDER BY id DESC LIMIT $3`, id, before, limit)
	if err != nil {
		return nil, 0, errf(err, "list problem incidents")
	}
	defer rows.Close()
	out := []incident.Incident{}
	for rows.Next() {
		i, _, err := scanIncident(rows)
		if err != nil {
			return nil, 0, errf(err, "scan incident")
		}
		out = append(out, i)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, errf(err, "list problem incidents")
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM incidents WHERE problem_id = $1 LIMIT $2) x`,
		id, CountCap).Scan(&n)
	return out, n, errf(err, "count problem incidents")
}

// ProblemDeployments returns the deployments of the releases resolving
// problem id, newest first, at most limit (indexes
// release_problems_problem, deployments_release).
func (s *Store) ProblemDeployments(ctx context.Context, id int64, limit int) ([]deploy.Deployment, error) {
	limit = Page{Limit: limit}.Norm().Limit
	rows, err := s.db.QueryContext(ctx, `SELECT `+deploymentCols+` FROM deployments WHERE release_id IN (
		SELECT release_id FROM release_problems WHERE problem_id = $1) ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, errf(err, "list problem deployments")
	}
	defer rows.Close()
	out := []deploy.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, errf(err, "scan deployment")
		}
		out = append(out, d)
	}
	return out, errf(rows.Err(), "list problem deployments")
}

// PreviewScan bounds how many recent incidents a signature preview reads.
const PreviewScan = 1000

// IncidentSummary is what a signature preview shows of an incident.
type IncidentSummary struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	CI       string    `json:"ci"`
	Env      string    `json:"env"`
	OpenedAt time.Time `json:"opened_at"`
	Problem  string    `json:"problem,omitempty"`
}

// RecentMatches is what a preview of signatures found among the recent
// incidents: for each selector (in the order given) how many matched and
// the first few (newest first).
type RecentMatches struct {
	Since    time.Time
	Examined int  // incidents read (at most PreviewScan)
	Complete bool // every incident opened since Since was read
	Counts   []int
	Samples  [][]IncidentSummary
}

// MatchRecentIncidents reads the incidents opened since since, newest
// first, at most PreviewScan of them (an index leading with opened_at), and matches
// each selector against their labels as a signature would (the incident's
// labels plus env, ci and service: incidentLabels). It keeps up to sample
// matches per selector, summarised from the same rows (one query in all).
// Nothing is written.
func (s *Store) MatchRecentIncidents(ctx context.Context, sels []matcher.Selector, since time.Time, sample int) (RecentMatches, error) {
	m := RecentMatches{Since: since, Counts: make([]int, len(sels)), Samples: make([][]IncidentSummary, len(sels))}
	rows, err := s.db.QueryContext(ctx, `SELECT id, title, ci, env, opened_at, problem_id, labels FROM incidents WHERE opened_at >= $1
		ORDER BY opened_at DESC LIMIT $2`, ts(since), PreviewScan+1)
	if err != nil {
		return m, errf(err, "match recent incidents")
	}
	defer rows.Close()
	m.Complete = true
	for rows.Next() {
		if m.Examined == PreviewScan {
			m.Complete = false // one more row exists: the preview is partial
			break
		}
		var in incident.Incident
		var id int64
		var title sql.RawBytes
		var opened, prb any // decoded for the samples only
		if err := rows.Scan(&id, &title, &in.CI, &in.Env, &opened, &prb, jsonCol{&in.Labels}); err != nil {
			return m, errf(err, "match recent incidents")
		}
		m.Examined++
		lbls := incidentLabels(&in)
		for i, sel := range sels {
			if !sel.Matches(lbls) {
				continue
			}
			m.Counts[i]++
			if len(m.Samples[i]) == sample {
				continue
			}
			x := IncidentSummary{ID: ident.Incident.Format(id), Title: string(title), CI: in.CI, Env: in.Env}
			var p sql.NullInt64
			if err := firstErr(timeCol{&x.OpenedAt}.Scan(opened), p.Scan(prb)); err != nil {
				return m, errf(err, "match recent incidents")
			}
			if p.Valid {
				x.Problem = ident.Problem.Format(p.Int64)
			}
			m.Samples[i] = append(m.Samples[i], x)
		}
	}
	for i := range m.Samples {
		if m.Samples[i] == nil {
			m.Samples[i] = []IncidentSummary{}
		}
	}
	return m, errf(rows.Err(), "match recent incidents")
}

package store

import (
	"context"
	"encoding/json"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/ident"
)

// Reads of deployments for the pages: newest first and bounded, so a page
// never reads a deployment's (or the environment's) whole history.

// RecentFilter selects deployments for RecentDeployments; zero fields do not filter.
type RecentFilter struct {
	Env    string
	Status string
	Before int64 // only ids below it (0: from the newest)
	Limit  int   // clamped as Page.Norm does
}

// RecentDeployments returns deployments newest first, filtered by f, at
// most f.Limit. The indexes (env, id) and (status, id) bound a filtered read.
func (s *Store) RecentDeployments(ctx context.Context, f RecentFilter) ([]deploy.Deployment, error) {
	limit := Page{Limit: f.Limit}.Norm().Limit
	var w filter
	if f.Before > 0 {
		w.add("id < ?", f.Before)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	q := `SELECT ` + deploymentCols + ` FROM deployments` + w.where() + ` ORDER BY id DESC LIMIT ` + w.next(limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "recent deployments")
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
	return out, errf(rows.Err(), "recent deployments")
}

// LatestMeasurements returns the last limit measurements of deployment id,
// oldest first (the index (deployment_id, id) read backwards).
func (s *Store) LatestMeasurements(ctx context.Context, id int64, limit int) ([]analysis.Measurement, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT stage, template, check_name, kind, at, query, value, outcome, message, records
		FROM deployment_measurements WHERE deployment_id = $1 ORDER BY id DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, errf(err, "latest measurements")
	}
	defer rows.Close()
	out := []analysis.Measurement{}
	for rows.Next() {
		m := analysis.Measurement{Deployment: ident.Deployment.Format(id)}
		var v string
		if err := rows.Scan(&m.Stage, &m.Template, &m.Check, &m.Kind, timeCol{&m.At}, &m.Query, &v, &m.Outcome, &m.Message,
			jsonCol{&m.Records}); err != nil {
			return nil, errf(err, "scan measurement")
		}
		m.Value = json.RawMessage(v)
		out = append(out, m)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, errf(rows.Err(), "latest measurements")
}

// LatestDeploymentActions returns the last limit driver actions of d (its
// stage names resolved from d.Path), in seq order.
func (s *Store) LatestDeploymentActions(ctx context.Context, d deploy.Deployment, limit int) ([]DeploymentAction, error) {
	id, err := ident.Deployment.Parse("id", d.ID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+actionCols+` FROM deployment_actions WHERE deployment_id = $1 ORDER BY seq DESC LIMIT $2`, id, limit)
	if err != nil {
		return nil, errf(err, "latest deployment actions")
	}
	defer rows.Close()
	out := []DeploymentAction{}
	for rows.Next() {
		a, err := scanAction(rows, d.Path)
		if err != nil {
			return nil, errf(err, "scan deployment action")
		}
		out = append(out, a)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, errf(rows.Err(), "latest deployment actions")
}

package store

import (
	"context"

	"fixgate/internal/ident"
	"fixgate/internal/incident"
)

// insertIncidentsSQL stores a JSON array of new incidents, ids included (PostgreSQL).
const insertIncidentsSQL = `INSERT INTO incidents (id, external_id, title, source, ci, env, severity, status, labels, fingerprint,
		opened_at, resolved_at, problem_id, deployment_id, rev, created_by, created_at, updated_at, signature_id)
	SELECT r.id, r.external_id, r.title, r.source, r.ci, r.env, r.severity, r.status, r.labels, r.fingerprint,
		r.opened_at, r.resolved_at, r.problem_id, r.deployment_id, r.rev, r.created_by, r.created_at, r.updated_at, r.signature_id
	FROM json_to_recordset($1::json) AS r(id bigint, external_id text, title text, source text, ci text, env text, severity int,
		status text, labels text, fingerprint text, opened_at timestamptz, resolved_at timestamptz, problem_id bigint,
		deployment_id bigint, rev bigint, created_by text, created_at timestamptz, updated_at timestamptz, signature_id bigint)
	ORDER BY r.id`

// insertIncidents stores new incidents whose ID is set (newIDs) in one
// statement (PostgreSQL); sigs[k] is the signature that matched incs[k], ""
// for none.
func (tx *Tx) insertIncidents(ctx context.Context, incs []incident.Incident, sigs []string) error {
	if len(incs) == 0 {
		return nil
	}
	type rec struct {
		ID         any    `json:"id"`
		ExternalID any    `json:"external_id"`
		Title      string `json:"title"`
		Source     string `json:"source"`
		CI         string `json:"ci"`
		Env        string `json:"env"`
		Severity   int    `json:"severity"`
		Status     string `json:"status"`
		Labels     string `json:"labels"`
		FP         string `json:"fingerprint"`
		OpenedAt   string `json:"opened_at"`
		ResolvedAt any    `json:"resolved_at"`
		Problem    any    `json:"problem_id"`
		Deployment any    `json:"deployment_id"`
		Rev        int64  `json:"rev"`
		CreatedBy  string `json:"created_by"`
		CreatedAt  string `json:"created_at"`
		UpdatedAt  string `json:"updated_at"`
		Signature  any    `json:"signature_id"`
	}
	recs := make([]rec, len(incs))
	for k := range incs {
		i := &incs[k]
		recs[k] = rec{idArg(ident.Incident, i.ID), nullText(i.ExternalID), i.Title, i.Source, i.CI, i.Env, i.Severity, i.Status,
			jsonText(i.Labels), i.Fingerprint, ts(i.OpenedAt), tsp(i.ResolvedAt), idArg(ident.Problem, i.Problem),
			idArg(ident.Deployment, i.Deployment), i.Revision, i.CreatedBy, ts(i.CreatedAt), ts(i.UpdatedAt), idArg(ident.Signature, sigs[k])}
	}
	_, err := tx.exec(ctx, insertIncidentsSQL, jsonText(recs))
	return err
}

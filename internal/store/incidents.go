package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
)

const incidentCols = `id, external_id, title, source, ci, env, severity, status, labels, fingerprint, opened_at, resolved_at,
	problem_id, deployment_id, rev, created_by, created_at, updated_at`

func scanIncident(sc interface{ Scan(...any) error }) (incident.Incident, int64, error) {
	var i incident.Incident
	var id int64
	var ext sql.NullString
	var prb, dep sql.NullInt64
	err := sc.Scan(&id, &ext, &i.Title, &i.Source, &i.CI, &i.Env, &i.Severity, &i.Status, jsonCol{&i.Labels}, &i.Fingerprint,
		timeCol{&i.OpenedAt}, nullTimeCol{&i.ResolvedAt}, &prb, &dep, &i.Revision, &i.CreatedBy, timeCol{&i.CreatedAt}, timeCol{&i.UpdatedAt})
	i.ID, i.ExternalID = ident.Incident.Format(id), ext.String
	if prb.Valid {
		i.Problem = ident.Problem.Format(prb.Int64)
	}
	if dep.Valid {
		i.Deployment = ident.Deployment.Format(dep.Int64)
	}
	if i.Labels == nil {
		i.Labels = labels.Set{}
	}
	return i, id, err
}

// nullText binds "" as NULL.
func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// idArg binds a normalised record id ("PRB-3") as its number, "" as NULL.
func idArg(k ident.Kind, s string) any {
	if s == "" {
		return nil
	}
	n, _ := k.Parse("id", s)
	return n
}

// refCache remembers which referenced records exist during one transaction
// (an import checks the same few CIs and environments a million times).
type refCache map[string]bool

// exists runs a COUNT query once per (query, arg) and caches the answer.
func (tx *Tx) exists(ctx context.Context, c refCache, q string, arg any) (bool, error) {
	key := q + "\x00" + toKey(arg)
	if ok, seen := c[key]; seen {
		return ok, nil
	}
	var n int
	if err := tx.queryRow(ctx, q, arg).Scan(&n); err != nil {
		return false, err
	}
	c[key] = n > 0
	return n > 0, nil
}

func toKey(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return ident.Problem.Format(x)
	}
	return ""
}

// incidentRefs checks that the CI, environment and problem an incident
// names exist. Returns Invalid naming "ci", "env" or "problem".
func (tx *Tx) incidentRefs(ctx context.Context, c refCache, i *incident.Incident) error {
	checks := []struct {
		field, q string
		arg      any
	}{
		{"ci", `SELECT COUNT(*) FROM cis WHERE name = $1`, i.CI},
		{"env", `SELECT COUNT(*) FROM environments WHERE name = $1`, i.Env},
	}
	if i.Problem != "" {
		checks = append(checks, struct {
			field, q string
			arg      any
		}{"problem", `SELECT COUNT(*) FROM problems WHERE id = $1`, idArg(ident.Problem, i.Problem)})
	}
	for _, ch := range checks {
		ok, err := tx.exists(ctx, c, ch.q, ch.arg)
		if err != nil {
			return err
		}
		if !ok {
			v := ch.arg
			if n, isNum := v.(int64); isNum {
				v = ident.Problem.Format(n)
			}
			return fault.Field(ch.field, "%v does not exist", v)
		}
	}
	return nil
}

// externalIDFree returns Conflict (field external_id, extra.incident) when
// another incident than self already carries ext.
func (tx *Tx) externalIDFree(ctx context.Context, ext string, self int64) error {
	if ext == "" {
		return nil
	}
	var other int64
	err := tx.queryRow(ctx, `SELECT id FROM incidents WHERE external_id = $1`, ext).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) || err == nil && other == self {
		return nil
	}
	if err != nil {
		return err
	}
	return &fault.Error{Code: fault.Conflict, Field: "external_id",
		Message: "external id " + ext + " is already " + ident.Incident.Format(other),
		Extra:   map[string]any{"incident": ident.Incident.Format(other)}}
}

// insertIncidentPlain inserts an incident; run it through tx.insertID.
const insertIncidentPlain = `INSERT INTO incidents (external_id, title, source, ci, env, severity, status, labels, fingerprint,
	opened_at, resolved_at, problem_id, deployment_id, rev, created_by, created_at, updated_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`

func insertIncidentArgs(i *incident.Incident) []any {
	return []any{nullText(i.ExternalID), i.Title, i.Source, i.CI, i.Env, i.Severity, i.Status, jsonText(i.Labels), i.Fingerprint,
		ts(i.OpenedAt), tsp(i.ResolvedAt), idArg(ident.Problem, i.Problem), idArg(ident.Deployment, i.Deployment),
		i.Revision, i.CreatedBy, ts(i.CreatedAt), ts(i.UpdatedAt)}
}

// saveIncidentSQL stores an incident at its new revision provided the row
// is still at the one before (a compare-and-set: check it with casDone).
const saveIncidentSQL = `UPDATE incidents SET external_id = $1, title = $2, source = $3, ci = $4, env = $5, severity = $6,
	status = $7, labels = $8, fingerprint = $9, opened_at = $10, resolved_at = $11, problem_id = $12, deployment_id = $13,
	rev = $14, updated_at = $15 WHERE id = $16 AND rev = $17`

// saveIncidentArgs are saveIncidentSQL's arguments for i at its new
// revision i.Revision (the row must be at i.Revision-1).
func saveIncidentArgs(id int64, i *incident.Incident) []any {
	return []any{nullText(i.ExternalID), i.Title, i.Source, i.CI, i.Env, i.Severity, i.Status, jsonText(i.Labels), i.Fingerprint,
		ts(i.OpenedAt), tsp(i.ResolvedAt), idArg(ident.Problem, i.Problem), idArg(ident.Deployment, i.Deployment),
		i.Revision, ts(i.UpdatedAt), id, i.Revision - 1}
}

// stamp sets the bookkeeping fields of a new incident.
func (tx *Tx) stamp(i *incident.Incident) {
	i.Revision, i.CreatedBy, i.CreatedAt, i.UpdatedAt = 1, tx.actor.User, tx.now, tx.now
}

// CreateIncident validates and stores a new incident: open, or resolved
// when ResolvedAt is set (a historical incident). Returns Invalid naming
// the field (also "ci", "env", "problem" for unknown records) and Conflict
// naming "external_id" when another incident carries it. An incident that
// a watching deployment's incidents check counts decides its rollback in
// the same transaction (deployment_signals.go).
func (s *Store) CreateIncident(ctx context.Context, a audit.Actor, in incident.Incident) (incident.Incident, error) {
	pol := s.requestPolicy(ctx)
	err := s.write(ctx, a, func(tx *Tx) error {
		tx.pol = pol
		if err := in.Validate(tx.now); err != nil {
			return err
		}
		if err := in.Init(); err != nil {
			return err
		}
		if err := tx.incidentRefs(ctx, refCache{}, &in); err != nil {
			return err
		}
		if err := tx.externalIDFree(ctx, in.ExternalID, 0); err != nil {
			return err
		}
		tx.stamp(&in)
		id, err := tx.insertID(ctx, insertIncidentPlain, insertIncidentArgs(&in)...)
		if err != nil {
			return err
		}
		in.ID = ident.Incident.Format(id)
		if err := s.matchIncident(ctx, tx, &in, id, true); err != nil { // signals.go: signatures, recurrence, attribution, incident.opened
			return err
		}
		if err := tx.auditEvent(ctx, "incident.create", "incident", in.ID, in.Revision, nil, in); err != nil {
			return err
		}
		_, err = tx.incidentRollbacks(ctx, in.Env, in.CI, in.ID)
		return err
	})
	return in, err
}

// GetIncident returns one incident. Returns NotFound if there is none.
func (s *Store) GetIncident(ctx context.Context, id int64) (incident.Incident, error) {
	i, _, err := scanIncident(s.db.QueryRowContext(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return i, fault.NotFoundf("incident %s not found", ident.Incident.Format(id))
	}
	return i, errf(err, "get incident")
}

// IncidentFilter selects incidents for ListIncidents; zero fields do not
// filter. Since and Until bound opened_at (Since inclusive, Until exclusive).
type IncidentFilter struct {
	Status   string
	CI       string
	Env      string
	Severity int
	Problem  int64
	Since    time.Time
	Until    time.Time
	Page
}

// ListIncidents returns incidents in id order after f.After, at most
// f.Limit. Each filter is served by an index that ends in id
// (incidents_status, incidents_problem, incidents_ci_id), so a page costs
// the same on a million rows as on a thousand.
func (s *Store) ListIncidents(ctx context.Context, f IncidentFilter) ([]incident.Incident, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.CI != "" {
		w.add("ci = ?", f.CI)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	if f.Severity != 0 {
		w.add("severity = ?", f.Severity)
	}
	if f.Problem != 0 {
		w.add("problem_id = ?", f.Problem)
	}
	if !f.Since.IsZero() {
		w.add("opened_at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("opened_at < ?", ts(f.Until))
	}
	q := `SELECT ` + incidentCols + ` FROM incidents` + w.where() + ` ORDER BY id LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list incidents")
	}
	defer rows.Close()
	out := []incident.Incident{}
	for rows.Next() {
		i, _, err := scanIncident(rows)
		if err != nil {
			return nil, errf(err, "scan incident")
		}
		out = append(out, i)
	}
	return out, errf(rows.Err(), "list incidents")
}

// IncidentContext is what an incident mutation may consult besides the record.
type IncidentContext struct {
	Now time.Time
}

// UpdateIncident loads the incident inside a write transaction, checks
// ifRev (0 skips the check), applies fn (the domain rule), validates and
// saves the result with its audit event under action. Returns NotFound,
// PreconditionFailed on a stale revision, Invalid naming the field, or
// fn's error; nothing is written on error.
func (s *Store) UpdateIncident(ctx context.Context, a audit.Actor, id, ifRev int64, action string,
	fn func(i *incident.Incident, c IncidentContext) error) (incident.Incident, error) {
	var i incident.Incident
	err := s.write(ctx, a, func(tx *Tx) error {
		before, _, err := scanIncident(tx.queryRow(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = $1`+tx.forUpdate(), id))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("incident %s not found", ident.Incident.Format(id))
		}
		if err != nil {
			return err
		}
		if err := checkRev("incident "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		i = before
		i.Labels = before.Labels.Clone()
		if err := fn(&i, IncidentContext{Now: tx.now}); err != nil {
			return err
		}
		if err := i.Validate(tx.now); err != nil {
			return err
		}
		if err := tx.incidentRefs(ctx, refCache{}, &i); err != nil {
			return err
		}
		if err := tx.externalIDFree(ctx, i.ExternalID, id); err != nil {
			return err
		}
		if i.Status != before.Status {
			if err := incident.Machine.Check(before.Status, i.Status); err != nil {
				return err
			}
		}
		i.ID, i.CreatedBy, i.CreatedAt = before.ID, before.CreatedBy, before.CreatedAt
		i.Revision, i.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "incident "+before.ID, before.Revision, saveIncidentSQL, saveIncidentArgs(id, &i)...); err != nil {
			return err
		}
		return tx.auditEvent(ctx, action, "incident", i.ID, i.Revision, before, i)
	})
	return i, err
}

// LinkIncident links an incident to problem (0 unlinks), guarded by ifRev
// (0 skips the check). Returns NotFound for the incident and Invalid
// naming "problem" for an unknown problem.
func (s *Store) LinkIncident(ctx context.Context, a audit.Actor, id, problem, ifRev int64) (incident.Incident, error) {
	return s.UpdateIncident(ctx, a, id, ifRev, "incident.link", func(i *incident.Incident, _ IncidentContext) error {
		i.Problem = ""
		if problem != 0 {
			i.Problem = ident.Problem.Format(problem)
		}
		return nil
	})
}

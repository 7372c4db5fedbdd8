package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// AppendDeploymentEvent appends a client's event (a pipeline step, a check
// result …) to deployment id's log after ev.ValidateAppended. Every linked
// record must exist (Invalid naming "links"); the deployment's own links
// (release, change, resolved problems) are added. Events may be appended in
// any state: findings after the end are part of the record too.
func (s *Store) AppendDeploymentEvent(ctx context.Context, a audit.Actor, id int64, ev deploy.Event) (deploy.Event, error) {
	if err := ev.ValidateAppended(); err != nil {
		return ev, err
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		d, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.requireRecords(ctx, "links", ev.Links); err != nil {
			return err
		}
		ev, err = tx.logDeploymentEvent(ctx, &d, ev)
		return err
	})
	return ev, err
}

// logDeploymentEvent writes ev for d at tx.now, by the acting user, at d's
// current stage, with d's own links merged into ev.Links, and audits it.
func (tx *Tx) logDeploymentEvent(ctx context.Context, d *deploy.Deployment, ev deploy.Event) (deploy.Event, error) {
	links := []string{d.ID, d.Release}
	if d.Change != "" {
		links = append(links, d.Change)
	}
	relID, _ := ident.Release.Parse("release", d.Release)
	rows, err := tx.query(ctx, `SELECT problem_id FROM release_problems WHERE release_id = $1`, relID)
	if err != nil {
		return ev, err
	}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return ev, err
		}
		links = append(links, ident.Problem.Format(p))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ev, err
	}
	ev.Links = deploy.SortLinks(append(links, ev.Links...))
	ev.Deployment, ev.At, ev.Actor, ev.Stage = d.ID, tx.now, tx.actor.User, d.Stage().Name
	depID, _ := ident.Deployment.Parse("id", d.ID)
	err = tx.queryRow(ctx, `INSERT INTO deployment_events (deployment_id, at, kind, stage, message, links, actor)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		depID, ts(ev.At), ev.Kind, ev.Stage, ev.Message, jsonText(ev.Links), ev.Actor).Scan(&ev.ID)
	if err != nil {
		return ev, err
	}
	return ev, tx.auditEvent(ctx, "deployment.event", "deployment", d.ID, d.Revision, nil, ev)
}

// recordTables maps a record id prefix to the query counting that record.
var recordTables = map[string]string{
	ident.Problem.Prefix:    `SELECT COUNT(*) FROM problems WHERE id = $1`,
	ident.KnownError.Prefix: `SELECT COUNT(*) FROM known_errors WHERE id = $1`,
	ident.Incident.Prefix:   `SELECT COUNT(*) FROM incidents WHERE id = $1`,
	ident.Change.Prefix:     `SELECT COUNT(*) FROM changes WHERE id = $1`,
	ident.Release.Prefix:    `SELECT COUNT(*) FROM releases WHERE id = $1`,
	ident.Deployment.Prefix: `SELECT COUNT(*) FROM deployments WHERE id = $1`,
	ident.PIR.Prefix:        `SELECT COUNT(*) FROM pirs WHERE id = $1`,
	ident.Approval.Prefix:   `SELECT COUNT(*) FROM approvals WHERE id = $1`,
	ident.Component.Prefix:  `SELECT COUNT(*) FROM component_versions WHERE id = $1`,
	ident.Signature.Prefix:  `SELECT COUNT(*) FROM problem_signatures WHERE id = $1`,
}

// requireRecords returns Invalid naming field when one of ids (normalised
// record ids) does not exist.
func (tx *Tx) requireRecords(ctx context.Context, field string, ids []string) error {
	for _, id := range ids {
		k, _ := ident.KindOf(id)
		n, err := k.Parse(field, id)
		if err != nil {
			return err
		}
		var c int
		if err := tx.queryRow(ctx, recordTables[k.Prefix], n).Scan(&c); err != nil {
			return err
		}
		if c == 0 {
			return fault.Field(field, "%s does not exist", id)
		}
	}
	return nil
}

// ListDeploymentEvents returns the log of deployment id in order, after
// p.After (an event id), at most p.Limit. Returns NotFound for an unknown deployment.
func (s *Store) ListDeploymentEvents(ctx context.Context, id int64, p Page) ([]deploy.Event, error) {
	p = p.Norm()
	if _, err := s.GetDeployment(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, kind, stage, message, links, actor FROM deployment_events
		WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT $3`, id, p.After, p.Limit)
	if err != nil {
		return nil, errf(err, "list deployment events")
	}
	defer rows.Close()
	out := []deploy.Event{}
	for rows.Next() {
		e := deploy.Event{Deployment: ident.Deployment.Format(id)}
		if err := rows.Scan(&e.ID, timeCol{&e.At}, &e.Kind, &e.Stage, &e.Message, jsonCol{&e.Links}, &e.Actor); err != nil {
			return nil, errf(err, "scan deployment event")
		}
		if e.Links == nil {
			e.Links = []string{}
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "list deployment events")
}

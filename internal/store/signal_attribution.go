package store

import (
	"context"
	"time"

	"fixgate/internal/ident"
	"fixgate/internal/signal"
)

// pickDeployment names the deployment signal.Pick attributes an incident to, or "".
func pickDeployment(vs []signal.Verdict) string {
	if id := signal.Pick(vs); id != 0 {
		return ident.Deployment.Format(id)
	}
	return ""
}

// attribute returns the deployments a signal of env/ci that began at at is
// attributed to (signal.Attribute, 24 h window): deployments of env that
// had started by at and were unfinished, or finished no earlier than the
// window before at. A release's CIs are those of its component versions.
func (tx *Tx) attribute(ctx context.Context, env, ci string, at time.Time, lbls map[string]string) ([]signal.Verdict, error) {
	if env == "" {
		return []signal.Verdict{}, nil
	}
	if c := tx.attr; c != nil && !at.Before(c.from) && !at.After(c.to) {
		deps, ok := c.deps[env]
		if !ok {
			var err error
			if deps, err = tx.deploymentsOf(ctx, env, c.from, c.to); err != nil {
				return nil, err
			}
			c.deps[env] = deps
		}
		return attributeWith(deps, env, ci, at, lbls)
	}
	deps, err := tx.deploymentsOf(ctx, env, at, at)
	if err != nil {
		return nil, err
	}
	return attributeWith(deps, env, ci, at, lbls)
}

// attrCache holds, for one import, the deployments of each environment
// that a row opened between from and to may be attributed to (deployments
// do not change inside the import's transaction except through it, and an
// import writes none).
type attrCache struct {
	from, to time.Time
	deps     map[string][]signal.Deployment
}

// deploymentsOf returns the deployments of env that a signal that began
// between from and to may be attributed to: started by to, unfinished or
// finished no earlier than the attribution window before from.
func (tx *Tx) deploymentsOf(ctx context.Context, env string, from, to time.Time) ([]signal.Deployment, error) {
	rows, err := tx.query(ctx, `SELECT d.id, d.status, d.started_at, d.finished_at, COALESCE(cv.ci, '')
		FROM deployments d
		LEFT JOIN release_components rc ON rc.release_id = d.release_id
		LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE d.env = $1 AND d.started_at IS NOT NULL AND d.started_at <= $2 AND (d.finished_at IS NULL OR d.finished_at >= $3)
		ORDER BY d.id`, env, ts(to), ts(from.Add(-signal.DefaultAttributionWindow)))
	if err != nil {
		return nil, err
	}
	var deps []signal.Deployment
	for rows.Next() {
		var d signal.Deployment
		var c string
		if err := rows.Scan(&d.ID, &d.Status, nullTimeCol{&d.StartedAt}, nullTimeCol{&d.FinishedAt}, &c); err != nil {
			rows.Close()
			return nil, err
		}
		if n := len(deps); n > 0 && deps[n-1].ID == d.ID {
			d = deps[n-1]
			deps = deps[:n-1]
		}
		if c != "" {
			d.CIs = append(d.CIs, c)
		}
		d.Env = env
		deps = append(deps, d)
	}
	rows.Close()
	return deps, rows.Err()
}

// attributeWith applies signal.Attribute (24 h window) to deps.
func attributeWith(deps []signal.Deployment, env, ci string, at time.Time, lbls map[string]string) ([]signal.Verdict, error) {
	pol := signal.Policy{AttributionWindow: signal.DefaultAttributionWindow}
	vs, err := signal.Attribute(signal.Signal{Labels: lbls, Env: env, CI: ci, At: at}, deps, pol)
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []signal.Verdict{}
	}
	return vs, nil
}

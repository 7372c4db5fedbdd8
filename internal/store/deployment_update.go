package store

import (
	"context"

	"fixgate/internal/audit"
	"fixgate/internal/deploy"
	"fixgate/internal/ident"
)

// UpdateDeployment applies fn to a deployment that has not started
// (pending or blocked), guarded by ifRev (0 skips the check): only its path
// and its change can change, and a change must authorise the deployment's
// release into its environment. Logs an "updated" event. Returns NotFound,
// PreconditionFailed on a stale revision, Conflict once it started, Invalid
// naming the field; nothing is written on error.
func (s *Store) UpdateDeployment(ctx context.Context, a audit.Actor, id, ifRev int64, fn func(*deploy.Deployment) error) (deploy.Deployment, error) {
	var d deploy.Deployment
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getDeployment(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("deployment "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		if err := before.CheckEditable(); err != nil {
			return err
		}
		d = before
		d.Path = append([]deploy.Stage{}, before.Path...)
		if err := fn(&d); err != nil {
			return err
		}
		d.Release, d.Env, d.Status, d.CurrentStage = before.Release, before.Env, before.Status, 0
		if err := d.Validate(); err != nil {
			return err
		}
		var chgID any
		if d.Change != "" {
			relID, _ := ident.Release.Parse("release", d.Release)
			n, _ := ident.Change.Parse("change", d.Change)
			if err := tx.checkDeploymentChange(ctx, &d, relID, n); err != nil {
				return err
			}
			chgID = n
		}
		d.Revision, d.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "deployment "+before.ID, before.Revision, `UPDATE deployments SET path = $1, change_id = $2,
			current_stage = $3, rev = $4, updated_at = $5 WHERE id = $6 AND rev = $7`,
			jsonText(d.Path), chgID, d.CurrentStage, d.Revision, ts(tx.now), id, before.Revision); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "deployment.update", "deployment", d.ID, d.Revision, before, d); err != nil {
			return err
		}
		_, err = tx.logDeploymentEvent(ctx, &d, deploy.Event{Kind: deploy.EventUpdated,
			Message: "path " + deploy.PathString(d.Path) + changeNote(d.Change)})
		return err
	})
	return d, err
}

func changeNote(chg string) string {
	if chg == "" {
		return ", no change record"
	}
	return ", authorised by " + chg
}

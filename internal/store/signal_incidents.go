package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"fixgate/internal/alertmanager"
	"fixgate/internal/ident"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/signal"
)

// signalIncident handles a new firing alert: the open incident with its
// fingerprint takes it, or a new incident is opened when env and CI are
// known; the signal is matched and attributed either way.
func (tx *Tx) signalIncident(ctx context.Context, ix *sigIndex, in *ingest, al alertmanager.Alert, row *signalRow,
	known bool, res *IngestResult) (int64, error) {
	var err error
	if known {
		if row.Deployments, err = tx.attributeIn(ctx, in, row.Env, row.CI, row.StartsAt, al.Labels); err != nil {
			return 0, err
		}
	}
	m, err := tx.matchSignal(ctx, ix, al.Labels, row.StartsAt, "alert "+al.Fingerprint+" started "+row.StartsAt.Format(time.RFC3339))
	if err != nil {
		return 0, err
	}
	res.Recurrences += m.recurrences
	if m.problem != 0 {
		row.Problem, row.Signature, row.Decision = ident.Problem.Format(m.problem), ident.Signature.Format(m.sig), m.decision
	}
	var open int64
	err = tx.queryRow(ctx, `SELECT id FROM incidents WHERE fingerprint = $1 AND status = $2 ORDER BY id DESC LIMIT 1`,
		al.Fingerprint, incident.Open).Scan(&open)
	switch {
	case err == nil:
		return open, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, err
	case !known:
		return 0, nil
	}
	inc, ok := tx.alertIncident(al, row)
	if !ok {
		return 0, nil
	}
	id, err := tx.insertID(ctx, insertSignalIncidentSQL, append(insertIncidentArgs(&inc), idArg(ident.Signature, row.Signature))...)
	if err != nil {
		return 0, err
	}
	inc.ID = ident.Incident.Format(id)
	res.IncidentsOpened++
	if err := tx.auditEvent(ctx, "incident.create", "incident", inc.ID, inc.Revision, nil, inc); err != nil {
		return 0, err
	}
	return id, tx.enqueue(ctx, EventIncidentOpened, incidentNotice(inc, row.Signature, m.decision))
}

// alertIncident is the incident a new firing alert (row) opens, stamped,
// without id; false for an alert that cannot be an incident (odd labels,
// far-future start): it is kept as a signal only.
func (tx *Tx) alertIncident(al alertmanager.Alert, row *signalRow) (incident.Incident, bool) {
	opened := row.StartsAt
	if opened.After(tx.now) { // Alertmanager's clock ahead of ours: the incident began no later than now
		opened = tx.now
	}
	inc := incident.Incident{Title: alertTitle(al), Source: incident.SourceAlertmanager, CI: row.CI, Env: row.Env,
		Severity: alertSeverity(al.Labels["severity"]), Labels: labels.Set(al.Labels), Fingerprint: al.Fingerprint,
		OpenedAt: opened}
	if inc.Validate(tx.now) != nil || inc.Init() != nil {
		return inc, false
	}
	tx.stamp(&inc)
	inc.Problem = row.Problem
	inc.Deployment = pickDeployment(row.Deployments)
	return inc, true
}

// insertSignalIncidentSQL is insertIncidentPlain with the signature that
// matched the alert; run it through tx.insertID.
var insertSignalIncidentSQL = strings.Replace(strings.Replace(insertIncidentPlain, "updated_at)", "updated_at, signature_id)", 1),
	"$17)", "$17, $18)", 1)

// resolveByFingerprint resolves the open incident with the alert's
// fingerprint at the alert's end (or now); it returns 0 when there is none.
func (tx *Tx) resolveByFingerprint(ctx context.Context, al alertmanager.Alert, res *IngestResult) (int64, error) {
	before, id, err := scanIncident(tx.queryRow(ctx, `SELECT `+incidentCols+` FROM incidents
		WHERE fingerprint = $1 AND status = $2 ORDER BY id DESC LIMIT 1`+tx.forUpdate(), al.Fingerprint, incident.Open))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	at := al.EndsAt
	if at.IsZero() || at.After(tx.now) {
		at = tx.now
	}
	next := before
	if err := next.Move(incident.Resolved, at); err != nil {
		return 0, err
	}
	next.Revision, next.UpdatedAt = before.Revision+1, tx.now
	if err := tx.updateRev(ctx, "incident "+before.ID, before.Revision, saveIncidentSQL, saveIncidentArgs(id, &next)...); err != nil {
		return 0, err
	}
	res.IncidentsResolved++
	return id, tx.auditEvent(ctx, "incident.resolve", "incident", next.ID, next.Revision, before, next)
}

// matchIncident matches a new incident (created through the API or imported) against
// the problem signatures, links it to the problem that matched (with the
// signature) unless it names one already, applies a recurrence, attributes
// it to a live deployment when it names none, and (notify) enqueues
// incident.opened; imports pass notify=false: their rows are history.
// in is updated in place; call it after the insert and before the audit
// event of the creation.
func (s *Store) matchIncident(ctx context.Context, tx *Tx, in *incident.Incident, id int64, notify bool) error {
	ix := s.sigIndex()
	if err := ix.fresh(ctx, tx.tx); err != nil {
		return err
	}
	sig, decision, err := tx.matchNew(ctx, ix, in, ix.match(incidentLabels(in)), nil)
	if err != nil {
		return err
	}
	if in.Problem != "" || sig != "" || in.Deployment != "" {
		if _, err := tx.exec(ctx, `UPDATE incidents SET problem_id = $1, signature_id = $2, deployment_id = $3 WHERE id = $4`,
			idArg(ident.Problem, in.Problem), idArg(ident.Signature, sig), idArg(ident.Deployment, in.Deployment), id); err != nil {
			return err
		}
	}
	if !notify {
		return nil
	}
	return tx.enqueue(ctx, EventIncidentOpened, incidentNotice(*in, sig, decision))
}

// matchNew is matchIncident without writing the incident: it applies the
// match of in (hits; states as in matchHits), sets in.Problem and
// in.Deployment, and returns the signature that linked it ("" if none) and
// the decision.
func (tx *Tx) matchNew(ctx context.Context, ix *sigIndex, in *incident.Incident, hits []hit,
	states map[int64]signal.ProblemState) (sig, decision string, err error) {
	lbls := incidentLabels(in)
	m, err := tx.matchHits(ctx, ix, hits, states, lbls, in.OpenedAt, in.ID)
	if err != nil {
		return "", "", err
	}
	if m.problem != 0 && in.Problem == "" {
		in.Problem, sig = ident.Problem.Format(m.problem), ident.Signature.Format(m.sig)
	}
	if in.Deployment == "" {
		deps, err := tx.attribute(ctx, in.Env, in.CI, in.OpenedAt, lbls)
		if err != nil {
			return "", "", err
		}
		in.Deployment = pickDeployment(deps)
	}
	return sig, m.decision, nil
}

// incidentLabels is what an incident is matched on: its labels, plus env,
// ci and service from its fields when the labels lack them.
func incidentLabels(in *incident.Incident) map[string]string {
	l := make(map[string]string, len(in.Labels)+3)
	for k, v := range in.Labels {
		l[k] = v
	}
	for k, v := range map[string]string{"env": in.Env, "ci": in.CI, "service": in.CI} {
		if _, ok := l[k]; !ok && v != "" {
			l[k] = v
		}
	}
	return l
}

func incidentNotice(in incident.Incident, sig, decision string) map[string]any {
	return map[string]any{"incident": in, "signature": sig, "decision": decision}
}

// alertTitle is the alert's summary annotation, else "ALERTNAME on CI".
func alertTitle(al alertmanager.Alert) string {
	t := strings.TrimSpace(al.Annotations["summary"])
	if t == "" {
		t = al.Labels["alertname"]
		if c := SignalCI(al.Labels); c != "" {
			t += " on " + c
		}
	}
	if t == "" {
		t = "alert " + al.Fingerprint
	}
	if len(t) > incident.MaxTitle {
		t = strings.ToValidUTF8(t[:incident.MaxTitle], "")
	}
	return t
}

// alertSeverity maps the conventional severity label to 1 (highest) … 4;
// unknown or missing values are 3.
func alertSeverity(s string) int {
	switch strings.ToLower(s) {
	case "critical", "page", "p1", "disaster", "emergency":
		return 1
	case "high", "major", "error", "p2":
		return 2
	case "info", "informational", "low", "none", "p4":
		return 4
	}
	return 3
}

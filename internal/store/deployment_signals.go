package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"fixgate/internal/analysis"
	"fixgate/internal/deploy"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
	"fixgate/internal/rollout"
)

// Event-driven rollback (issue 11): a signal or incident that a watching
// deployment's recurrence or incidents check counts decides its rollback
// in the transaction that stores it, not at the engine's next count. The
// engine counts the same checks when a stage (or the watch) starts, every
// engine.Runner.StoreInterval (30 s) and when it ends, with the same
// queries (Recurrences, NewIncidents), so both paths agree on what fails.

// RollbackDecision is a rollback decided by a committed transaction: the
// deployment, the cause, and the wall-clock time the request that decided
// it arrived (for an alert or incident: its arrival, the evidence rollback
// latency counts from).
type RollbackDecision struct {
	Deployment int64
	Cause      string
	Evidence   time.Time
	// Measured is the kind of the failed measurement the transaction
	// recorded as the evidence ("": none, the caller measured).
	Measured string
}

// Rollouts are the server's hooks for event-driven rollbacks.
type Rollouts struct {
	// Policy returns the policy in force, as the rollout engine sees it
	// (nil: the stored policy, else the built-in one). It is called before
	// a request's transaction begins, never inside it.
	Policy func(ctx context.Context) (*policy.Policy, int64, error)
	// Decided is told each rollback decision after its commit, from the
	// committing goroutine: it must not block (engine.Runner.RollbackDecided).
	Decided func(RollbackDecision)
}

// SetRollouts installs the hooks; call it before the store serves requests.
func (s *Store) SetRollouts(r Rollouts) { s.rollouts = r }

// requestPolicy is the policy a request's transaction decides rollbacks
// under: the hook's, or nil when there is none or it fails (the
// transaction then reads the stored policy itself).
func (s *Store) requestPolicy(ctx context.Context) *policy.Policy {
	if s.rollouts.Policy == nil {
		return nil
	}
	pol, _, err := s.rollouts.Policy(ctx)
	if err != nil {
		return nil
	}
	return pol
}

// tellDecided hands a committed transaction's rollback decisions to the hook.
func (s *Store) tellDecided(ds []RollbackDecision) {
	if s.rollouts.Decided == nil {
		return
	}
	for _, d := range ds {
		s.rollouts.Decided(d)
	}
}

// activeSQL selects deployments whose checks may still roll them back at
// $3 (rollout.Watching).
const activeSQL = `(d.status IN ('running', 'paused') AND d.stage_started_at IS NOT NULL
	OR d.status = 'succeeded' AND d.verified_at IS NULL AND d.watch_until > $3)`

// signalRollbacks decides the rollbacks new firing signal row causes: of
// the deployments watching in its environment whose release resolves the
// problem it matched (a recurrence check), and, when it opened incident,
// of those whose release's CIs include its CI (an incidents check).
// Returns the deployments that now roll back.
func (tx *Tx) signalRollbacks(ctx context.Context, row signalRow, opened bool) ([]string, error) {
	var out []string
	if row.Signature != "" && row.Problem != "" {
		ids, err := tx.int64s(ctx, `SELECT DISTINCT d.id FROM deployments d JOIN release_problems rp ON rp.release_id = d.release_id
			WHERE d.env = $1 AND rp.problem_id = $2 AND `+activeSQL+` ORDER BY d.id`, row.Env, idArg(ident.Problem, row.Problem), ts(tx.now))
		if err != nil {
			return nil, err
		}
		if out, err = tx.eventRollbacks(ctx, ids, rollout.KindRecurrence, "signal "+strconv.FormatInt(row.ID, 10)); err != nil {
			return nil, err
		}
	}
	if !opened {
		return out, nil
	}
	more, err := tx.incidentRollbacks(ctx, row.Env, row.CI, row.Incident)
	return append(out, more...), err
}

// incidentRollbacks decides the rollbacks new incident inc (INC-n, in env
// on ci) causes through the incidents checks of the deployments watching
// in env whose release's CIs include ci.
func (tx *Tx) incidentRollbacks(ctx context.Context, env, ci, inc string) ([]string, error) {
	ids, err := tx.int64s(ctx, `SELECT d.id FROM deployments d WHERE d.env = $1 AND `+activeSQL+` AND EXISTS (
		SELECT 1 FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE rc.release_id = d.release_id AND cv.ci = $2) ORDER BY d.id`, env, ci, ts(tx.now))
	if err != nil {
		return nil, err
	}
	return tx.eventRollbacks(ctx, ids, rollout.KindIncidents, inc)
}

// errNoRollback: the deployment's checks do not fail; nothing is written.
var errNoRollback = errors.New("no rollback")

// eventRollbacks asks, for each deployment of ids (in id order: the order
// their row locks are taken in), whether its checks of kind fail now that
// record is stored; a failing one is recorded as a measurement (with the
// records counted) and decides the rollback, with the request's arrival as
// the evidence. A deployment that stopped watching meanwhile (rolled back
// by a concurrent request) is left alone. Returns those rolled back.
func (tx *Tx) eventRollbacks(ctx context.Context, ids []int64, kind, record string) ([]string, error) {
	var out []string
	for _, id := range ids {
		d, err := tx.stepDeployment(ctx, id, 0, "deployment.rollback", func(tx *Tx, d *deploy.Deployment) error {
			if !rollout.Watching(*d, tx.now) {
				return errNoRollback
			}
			m, key, err := tx.failingCheck(ctx, d, kind)
			if err != nil {
				return err
			}
			if err := tx.insertMeasurement(ctx, id, m); err != nil {
				return err
			}
			if err := tx.decideRollback(ctx, d, "check "+key+" failed: "+record+" arrived; "+m.Message, tx.now); err != nil {
				return err
			}
			tx.decided[len(tx.decided)-1].Measured = kind
			return nil
		})
		if errors.Is(err, errNoRollback) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d.ID)
	}
	return out, nil
}

// failingCheck measures d's checks of kind (those of its current stage,
// or of the watch) in tx and returns the first that fails, with its key;
// errNoRollback when none does.
func (tx *Tx) failingCheck(ctx context.Context, d *deploy.Deployment, kind string) (analysis.Measurement, string, error) {
	pol, err := tx.rolloutPolicy(ctx)
	if err != nil {
		return analysis.Measurement{}, "", err
	}
	model, err := tx.changeModel(ctx, d.Change)
	if err != nil {
		return analysis.Measurement{}, "", err
	}
	id, _ := ident.Deployment.Parse("id", d.ID)
	label, since := rollout.Window(*d, tx.now)
	for _, c := range rollout.Checks(pol, model, *d, d.Status == deploy.Succeeded) {
		if c.Kind() != kind {
			continue
		}
		m := analysis.Measurement{Deployment: d.ID, Stage: label, Template: c.Template, Check: c.Check.Name, Kind: kind, At: tx.now}
		if kind == rollout.KindRecurrence {
			recs, err := tx.recurrences(ctx, id, since)
			if err != nil {
				return m, "", err
			}
			m = rollout.Counted(m, recs, c.Check.Recurrence.MaxMatches, rollout.RecurrenceWhat)
		} else {
			sev := rollout.MinSeverity(c.Check.Incidents)
			recs, err := tx.newIncidents(ctx, id, since, sev)
			if err != nil {
				return m, "", err
			}
			m = rollout.Counted(m, recs, 0, rollout.IncidentsWhat(sev))
		}
		if m.Outcome == analysis.Failed {
			return m, c.Key(), nil
		}
	}
	return analysis.Measurement{}, "", errNoRollback
}

// rolloutPolicy is the policy tx decides rollbacks under: the request's
// (Rollouts.Policy), else the stored one.
func (tx *Tx) rolloutPolicy(ctx context.Context) (*policy.Policy, error) {
	if tx.pol != nil {
		return tx.pol, nil
	}
	pol, err := tx.policyInForce(ctx)
	tx.pol = pol
	return pol, err
}

// changeModel returns the change model of change chg ("" without a change).
func (tx *Tx) changeModel(ctx context.Context, chg string) (string, error) {
	if chg == "" {
		return "", nil
	}
	var m string
	err := tx.queryRow(ctx, `SELECT change_model FROM changes WHERE id = $1`, idArg(ident.Change, chg)).Scan(&m)
	return m, err
}

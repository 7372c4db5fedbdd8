package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
	"fixgate/internal/policy"
)

// EvaluateGate is the gate use case: it loads the input for q, judges it
// against pol (version: its stored version, 0 for the built-in default)
// and records the evaluation with its audit event, answering once both are
// committed. Returns NotFound naming the release or the environment.
func (s *Store) EvaluateGate(ctx context.Context, a audit.Actor, q GateQuery, pol *policy.Policy, version int64) (GateEvaluation, error) {
	in, revs, err := s.GateInput(ctx, q, pol)
	if err != nil {
		return GateEvaluation{}, err
	}
	v := gate.Evaluate(pol, in, s.Now())
	// GateInput found the release and the environment, and neither is ever
	// deleted: the record need not look for them again.
	return s.createGateEvaluation(ctx, a, GateEvaluation{Release: in.Release.ID, Environment: q.Env, At: q.At,
		Verdict: v, InputRevisions: revs, PolicyVersion: version, PolicyHash: v.PolicyHash}, q.Env != "")
}

// CreateGateEvaluation stores e (its Release, Environment, Verdict, At,
// InputRevisions and policy set by the caller) and audits it; it returns
// once both are committed. The release and environment must exist
// (NotFound otherwise). A blocked verdict is announced (gate.blocked) when
// the previous evaluation of the same release and environment was not
// blocked. Concurrent calls commit together (gate_group.go).
func (s *Store) CreateGateEvaluation(ctx context.Context, a audit.Actor, e GateEvaluation) (GateEvaluation, error) {
	return s.createGateEvaluation(ctx, a, e, false)
}

// createGateEvaluation is CreateGateEvaluation; found says the caller read
// the release and the environment in this request, so the record does not
// check that they exist.
func (s *Store) createGateEvaluation(ctx context.Context, a audit.Actor, e GateEvaluation, found bool) (GateEvaluation, error) {
	rel, err := ident.Release.Parse("release", e.Release)
	if err != nil {
		return e, err
	}
	e.Decision, e.RiskClass = e.Verdict.Decision, e.Verdict.RiskClass
	if e.InputRevisions == nil {
		e.InputRevisions = Revisions{}
	}
	p := &pendingEval{actor: a, rel: rel, e: e, found: found, done: make(chan struct{})}
	p.revs, _ = e.InputRevisions.MarshalJSON() // canonical: keys sorted
	if p.verdict, err = EncodeVerdict(e.Verdict); err != nil {
		return e, fault.Wrap(err, "encode verdict")
	}
	p.e.InputDigest, p.e.verdictDigest = sha256Hex(p.revs), sha256Hex(p.verdict)
	return s.evals.commit(ctx, s, p)
}

// recordGateEvaluation writes p's evaluation, its audit event in p's
// actor's name and its notification, if any.
func (tx *Tx) recordGateEvaluation(ctx context.Context, p *pendingEval) error {
	e := &p.e
	if !p.found {
		if err := tx.gateTargetExists(ctx, p.rel, e.Environment); err != nil {
			return err
		}
	}
	announce, err := tx.turnsBlocked(ctx, p.rel, *e)
	if err != nil {
		return err
	}
	tx.actor = p.actor
	e.CreatedBy, e.CreatedAt = p.actor.User, tx.now
	if err := tx.insertGateEvaluation(ctx, p.rel, e, p.revs, p.verdict); err != nil {
		return err
	}
	return tx.auditGateEvaluation(ctx, *e, announce)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// insertGateEvaluation writes the input revisions and the verdict under
// their digests (content addressed: shared by every evaluation with the
// same content, so an existing row is kept), then the evaluation row: one
// round trip on PostgreSQL (Tx.execAll).
func (tx *Tx) insertGateEvaluation(ctx context.Context, rel int64, e *GateEvaluation, revs, verdict []byte) error {
	var id int64
	err := tx.execAll(ctx, execStmt{sql: `INSERT INTO gate_inputs (digest, revisions, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, args: []any{e.InputDigest, string(revs), ts(tx.now)}},
		execStmt{sql: `INSERT INTO gate_verdicts (digest, verdict, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, args: []any{e.verdictDigest, string(verdict), ts(tx.now)}},
		execStmt{sql: `INSERT INTO gate_evaluations (release_id, env, at, decision, risk_class, verdict, input_revisions,
		policy_version, policy_hash, input_digest, created_by, created_at, verdict_digest, evaluated_at)
		VALUES ($1, $2, $3, $4, $5, '', '{}', $6, $7, $8, $9, $10, $11, $12)`, args: []any{rel, e.Environment, ts(e.At), e.Decision,
			e.RiskClass, e.PolicyVersion, e.PolicyHash, e.InputDigest, e.CreatedBy, ts(e.CreatedAt), e.verdictDigest,
			ts(e.Verdict.EvaluatedAt)}, id: &id})
	e.ID = ident.Gate.Format(id)
	return err
}

// auditGateEvaluation records e's audit event and, with announce, the
// gate.blocked notification.
func (tx *Tx) auditGateEvaluation(ctx context.Context, e GateEvaluation, announce bool) error {
	if err := tx.auditEvent(ctx, "gate.evaluate", "gate_evaluation", e.ID, 1, nil, gateAudit{ID: e.ID, Release: e.Release,
		Environment: e.Environment, At: e.At, Decision: e.Decision, RiskClass: e.RiskClass, FailedRules: failedRules(e.Verdict),
		PolicyVersion: e.PolicyVersion, PolicyHash: e.PolicyHash, InputDigest: e.InputDigest, VerdictSHA256: e.verdictDigest}); err != nil {
		return err
	}
	if !announce {
		return nil
	}
	_, err := tx.insertNotice(ctx, EventGateBlocked, "", map[string]any{"evaluation": e.ID, "release": e.Release,
		"environment": e.Environment, "risk_class": e.RiskClass, "verdict": e.Verdict, "by": e.CreatedBy})
	return err
}

// turnsBlocked reports whether e, about to be stored, should be announced:
// its verdict is blocked, a subscription wants gate.blocked, and the latest
// evaluation of the same release and environment was not blocked (or there
// was none). On PostgreSQL it first locks the audit head, which every write
// takes before commit anyway, so concurrent evaluations read and insert in
// turn and one change is announced once (SQLite writers are serial).
func (tx *Tx) turnsBlocked(ctx context.Context, rel int64, e GateEvaluation) (bool, error) {
	if e.Decision != gate.Blocked {
		return false, nil
	}
	if ok, err := tx.subscribed(ctx, EventGateBlocked); err != nil || !ok {
		return false, err
	}
	if tx.dialect == Postgres {
		if _, err := tx.exec(ctx, `SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE`); err != nil {
			return false, err
		}
	}
	var prev string
	err := tx.queryRow(ctx, `SELECT decision FROM gate_evaluations WHERE release_id = $1 AND env = $2
		ORDER BY id DESC LIMIT 1`, rel, e.Environment).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return err == nil && prev != gate.Blocked, err
}

// gateTargetExists returns NotFound unless the release and environment exist.
func (tx *Tx) gateTargetExists(ctx context.Context, rel int64, env string) error {
	var nr, ne int
	err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM releases WHERE id = $1), (SELECT COUNT(*) FROM environments WHERE name = $2)`,
		rel, env).Scan(&nr, &ne)
	switch {
	case err != nil:
		return err
	case nr == 0:
		return fault.NotFoundf("release %s not found", ident.Release.Format(rel))
	case ne == 0:
		return fault.NotFoundf("environment %q not found", env)
	}
	return nil
}

// failedRules names the rules that failed or could not decide.
func failedRules(v gate.Verdict) []string {
	out := []string{}
	for _, r := range v.Rules {
		if (r.Result == gate.Fail || r.Undecided) && !slices.Contains(out, r.Rule) {
			out = append(out, r.Rule)
		}
	}
	return out
}

package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// GateEvaluation is one stored gate evaluation: the verdict, what it was
// about, the revisions of the records it read and the policy it ran with.
type GateEvaluation struct {
	ID             string           `json:"id"`
	Release        string           `json:"release"`
	Environment    string           `json:"environment"`
	At             time.Time        `json:"at"`
	Decision       string           `json:"decision"`
	RiskClass      string           `json:"risk_class"`
	Verdict        gate.Verdict     `json:"verdict"`
	InputRevisions map[string]int64 `json:"input_revisions"`
	// PolicyVersion is the stored policy version (0: the built-in default).
	PolicyVersion int64  `json:"policy_version"`
	PolicyHash    string `json:"policy_hash"`
	// InputDigest is the SHA-256 of the canonical input revisions, which
	// are stored once per distinct set ("" on evaluations before it).
	InputDigest string    `json:"input_digest"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	// VerdictJSON and RevisionsJSON, when set, are the encodings of Verdict
	// and InputRevisions the caller already made (and InputDigest the hash
	// of RevisionsJSON): stored as they are, not encoded again.
	VerdictJSON   []byte `json:"-"`
	RevisionsJSON []byte `json:"-"`
}

// gateEvalCols reads an evaluation with its input revisions, from the
// shared gate_inputs row when the evaluation has a digest.
const gateEvalCols = `e.id, e.release_id, e.env, e.at, e.decision, e.risk_class, e.verdict,
	COALESCE(gi.revisions, e.input_revisions), e.policy_version, e.policy_hash, e.input_digest, e.created_by, e.created_at`

const gateEvalFrom = ` FROM gate_evaluations e LEFT JOIN gate_inputs gi ON gi.digest = e.input_digest`

// gateAudit is the after-image of an evaluation's audit event: what was
// asked and answered, with the digests that pin the stored verdict and
// input revisions to the chain (the record holds them in full).
type gateAudit struct {
	ID            string    `json:"id"`
	Release       string    `json:"release"`
	Environment   string    `json:"environment"`
	At            time.Time `json:"at"`
	Decision      string    `json:"decision"`
	RiskClass     string    `json:"risk_class"`
	FailedRules   []string  `json:"failed_rules"`
	PolicyVersion int64     `json:"policy_version"`
	PolicyHash    string    `json:"policy_hash"`
	InputDigest   string    `json:"input_digest"`
	VerdictSHA256 string    `json:"verdict_sha256"`
}

func scanGateEvaluation(sc interface{ Scan(...any) error }) (GateEvaluation, error) {
	var e GateEvaluation
	var id, rel int64
	err := sc.Scan(&id, &rel, &e.Environment, timeCol{&e.At}, &e.Decision, &e.RiskClass, jsonCol{&e.Verdict},
		jsonCol{&e.InputRevisions}, &e.PolicyVersion, &e.PolicyHash, &e.InputDigest, &e.CreatedBy, timeCol{&e.CreatedAt})
	e.ID, e.Release = ident.Gate.Format(id), ident.Release.Format(rel)
	if e.InputRevisions == nil {
		e.InputRevisions = map[string]int64{}
	}
	return e, err
}

// CreateGateEvaluation stores e (its Release, Environment, Verdict, At,
// InputRevisions and policy set by the caller) and audits it. The release
// and environment must exist (NotFound otherwise). It returns once e's
// record and audit event are committed. Concurrent calls are committed
// together (group commit: one transaction, one fsync, for every evaluation
// waiting while the previous group commits); each caller gets its own
// outcome, and a refused evaluation writes nothing.
func (s *Store) CreateGateEvaluation(ctx context.Context, a audit.Actor, e GateEvaluation) (GateEvaluation, error) {
	rel, err := ident.Release.Parse("release", e.Release)
	if err != nil {
		return e, err
	}
	e.Decision, e.RiskClass = e.Verdict.Decision, e.Verdict.RiskClass
	p := &pendingEval{actor: a, rel: rel, e: e, done: make(chan struct{})}
	g := groupFor(s)
	g.mu.Lock()
	g.queue = append(g.queue, p)
	lead := !g.busy
	g.busy = true
	g.mu.Unlock()
	if lead {
		g.drain(context.WithoutCancel(ctx), s)
	}
	select {
	case <-p.done:
		return p.e, p.err
	case <-ctx.Done(): // the record may still commit; the caller gave up waiting
		return e, &fault.Error{Code: fault.Unavailable, Message: "gate evaluation: request canceled", Err: ctx.Err()}
	}
}

// pendingEval is one evaluation waiting for its group to commit.
type pendingEval struct {
	actor audit.Actor
	rel   int64
	e     GateEvaluation
	err   error
	done  chan struct{}
}

// evalGroup queues evaluations; the caller that finds it idle commits the
// first group, and a goroutine the next ones while any are queued.
type evalGroup struct {
	mu    sync.Mutex
	queue []*pendingEval
	busy  bool
}

// maxGroup bounds the evaluations of one transaction.
const maxGroup = 256

var evalGroups sync.Map // *Store → *evalGroup

func groupFor(s *Store) *evalGroup {
	if g, ok := evalGroups.Load(s); ok {
		return g.(*evalGroup)
	}
	g, _ := evalGroups.LoadOrStore(s, &evalGroup{})
	return g.(*evalGroup)
}

// drain commits the queued evaluations as one group and answers them. If
// more queued meanwhile, a new goroutine commits the next group, so the
// caller that led this one answers its own request without waiting for
// later groups; when the queue is empty the group is idle again.
func (g *evalGroup) drain(ctx context.Context, s *Store) {
	g.mu.Lock()
	batch := g.queue[:min(len(g.queue), maxGroup)]
	g.queue = g.queue[len(batch):]
	g.mu.Unlock()
	err := s.write(ctx, batch[0].actor, func(tx *Tx) error {
		stored := map[string]bool{}
		for _, p := range batch {
			if p.err = tx.insertGateEvaluation(ctx, p, stored); p.err != nil && fault.As(p.err) == nil {
				return p.err // a database error fails the group
			}
		}
		return nil
	})
	for _, p := range batch {
		if err != nil {
			p.err = err
		}
		close(p.done)
	}
	g.mu.Lock()
	more := len(g.queue) > 0
	g.busy = more
	g.mu.Unlock()
	if more {
		go g.drain(ctx, s)
	}
}

// insertGateEvaluation writes one evaluation of a group and its audit event
// (in the evaluation's actor's name); its input revisions go to gate_inputs
// once per digest (stored remembers, per group, the digests written and the
// release/environment pairs found). A refused
// evaluation (unknown release or environment) writes nothing and leaves the
// group going.
func (tx *Tx) insertGateEvaluation(ctx context.Context, p *pendingEval, stored map[string]bool) error {
	e := &p.e
	if err := tx.gateTargetExists(ctx, p.rel, e, stored); err != nil {
		return err
	}
	if err := tx.storeGateInput(ctx, e, stored); err != nil {
		return err
	}
	e.CreatedBy, e.CreatedAt = p.actor.User, tx.now
	verdict := e.VerdictJSON
	if verdict == nil {
		verdict = []byte(jsonText(e.Verdict))
	}
	id, err := tx.insertID(ctx, `INSERT INTO gate_evaluations (release_id, env, at, decision, risk_class, verdict, input_revisions,
		policy_version, policy_hash, input_digest, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		p.rel, e.Environment, ts(e.At), e.Decision, e.RiskClass, string(verdict), "{}",
		e.PolicyVersion, e.PolicyHash, e.InputDigest, e.CreatedBy, ts(e.CreatedAt))
	if err != nil {
		return err
	}
	e.ID = ident.Gate.Format(id)
	tx.actor = p.actor
	sum := sha256.Sum256(verdict)
	if err := tx.auditEvent(ctx, "gate.evaluate", "gate_evaluation", e.ID, 1, nil, gateAudit{ID: e.ID, Release: e.Release,
		Environment: e.Environment, At: e.At, Decision: e.Decision, RiskClass: e.RiskClass, FailedRules: failedRules(e.Verdict),
		PolicyVersion: e.PolicyVersion, PolicyHash: e.PolicyHash, InputDigest: e.InputDigest, VerdictSHA256: hex.EncodeToString(sum[:])}); err != nil {
		return err
	}
	if e.Decision != gate.Blocked {
		return nil
	}
	return tx.enqueue(ctx, EventGateBlocked, map[string]any{"evaluation": e.ID, "release": e.Release,
		"environment": e.Environment, "risk_class": e.RiskClass, "verdict": e.Verdict, "by": e.CreatedBy})
}

// gateTargetExists returns NotFound unless e's release and environment
// exist; seen remembers the pairs checked in this group (releases and
// environments are never deleted).
func (tx *Tx) gateTargetExists(ctx context.Context, rel int64, e *GateEvaluation, seen map[string]bool) error {
	key := "target\x00" + e.Release + "\x00" + e.Environment
	if seen[key] {
		return nil
	}
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM releases WHERE id = $1`, rel).Scan(&n); err != nil || n == 0 {
		return firstErr(err, fault.NotFoundf("release %s not found", e.Release))
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM environments WHERE name = $1`, e.Environment).Scan(&n); err != nil || n == 0 {
		return firstErr(err, fault.NotFoundf("environment %q not found", e.Environment))
	}
	seen[key] = true
	return nil
}

// storeGateInput writes e's input revisions to gate_inputs under their
// digest, unless a row has it already, and sets e.InputDigest.
func (tx *Tx) storeGateInput(ctx context.Context, e *GateEvaluation, stored map[string]bool) error {
	revs := e.RevisionsJSON
	if revs == nil || e.InputDigest == "" {
		if e.InputRevisions == nil {
			e.InputRevisions = map[string]int64{}
		}
		revs = []byte(jsonText(e.InputRevisions))
		sum := sha256.Sum256(revs)
		e.InputDigest = hex.EncodeToString(sum[:])
	}
	if stored[e.InputDigest] {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO gate_inputs (digest, revisions, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, e.InputDigest, string(revs), ts(tx.now)); err != nil {
		return err
	}
	stored[e.InputDigest] = true
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

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// GetGateEvaluation returns one evaluation. Returns NotFound if there is none.
func (s *Store) GetGateEvaluation(ctx context.Context, id int64) (GateEvaluation, error) {
	e, err := scanGateEvaluation(s.db.QueryRowContext(ctx, `SELECT `+gateEvalCols+gateEvalFrom+` WHERE e.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fault.NotFoundf("gate evaluation %s not found", ident.Gate.Format(id))
	}
	return e, errf(err, "get gate evaluation")
}

// GateEvaluationFilter selects evaluations; zero fields do not filter.
type GateEvaluationFilter struct {
	Release  int64
	Env      string
	Decision string
	Page
}

// ListGateEvaluations returns evaluations in id order after f.After, at most f.Limit.
func (s *Store) ListGateEvaluations(ctx context.Context, f GateEvaluationFilter) ([]GateEvaluation, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("e.id > ?", f.After)
	if f.Release != 0 {
		w.add("e.release_id = ?", f.Release)
	}
	if f.Env != "" {
		w.add("e.env = ?", f.Env)
	}
	if f.Decision != "" {
		w.add("e.decision = ?", f.Decision)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+gateEvalCols+gateEvalFrom+w.where()+` ORDER BY e.id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list gate evaluations")
	}
	defer rows.Close()
	out := []GateEvaluation{}
	for rows.Next() {
		e, err := scanGateEvaluation(rows)
		if err != nil {
			return nil, errf(err, "scan gate evaluation")
		}
		out = append(out, e)
	}
	return out, errf(rows.Err(), "list gate evaluations")
}

package store

import (
	"context"
	"database/sql"
	"errors"
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
	PolicyVersion int64     `json:"policy_version"`
	PolicyHash    string    `json:"policy_hash"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

const gateEvalCols = `id, release_id, env, at, decision, risk_class, verdict, input_revisions, policy_version, policy_hash, created_by, created_at`

func scanGateEvaluation(sc interface{ Scan(...any) error }) (GateEvaluation, error) {
	var e GateEvaluation
	var id, rel int64
	err := sc.Scan(&id, &rel, &e.Environment, timeCol{&e.At}, &e.Decision, &e.RiskClass, jsonCol{&e.Verdict},
		jsonCol{&e.InputRevisions}, &e.PolicyVersion, &e.PolicyHash, &e.CreatedBy, timeCol{&e.CreatedAt})
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
		for _, p := range batch {
			if p.err = tx.insertGateEvaluation(ctx, p); p.err != nil && fault.As(p.err) == nil {
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
// (in the evaluation's actor's name). A refused evaluation (unknown release
// or environment) writes nothing and leaves the group going.
func (tx *Tx) insertGateEvaluation(ctx context.Context, p *pendingEval) error {
	e := &p.e
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM releases WHERE id = $1`, p.rel).Scan(&n); err != nil || n == 0 {
		return firstErr(err, fault.NotFoundf("release %s not found", e.Release))
	}
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM environments WHERE name = $1`, e.Environment).Scan(&n); err != nil || n == 0 {
		return firstErr(err, fault.NotFoundf("environment %q not found", e.Environment))
	}
	e.CreatedBy, e.CreatedAt = p.actor.User, tx.now
	var id int64
	err := tx.queryRow(ctx, `INSERT INTO gate_evaluations (release_id, env, at, decision, risk_class, verdict, input_revisions,
		policy_version, policy_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.rel, e.Environment, ts(e.At), e.Decision, e.RiskClass, jsonText(e.Verdict), jsonText(e.InputRevisions),
		e.PolicyVersion, e.PolicyHash, e.CreatedBy, ts(e.CreatedAt)).Scan(&id)
	if err != nil {
		return err
	}
	e.ID = ident.Gate.Format(id)
	tx.actor = p.actor
	if err := tx.auditEvent(ctx, "gate.evaluate", "gate_evaluation", e.ID, 1, nil, *e); err != nil {
		return err
	}
	if e.Decision != gate.Blocked {
		return nil
	}
	return tx.enqueue(ctx, EventGateBlocked, map[string]any{"evaluation": e.ID, "release": e.Release,
		"environment": e.Environment, "risk_class": e.RiskClass, "verdict": e.Verdict, "by": e.CreatedBy})
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
	e, err := scanGateEvaluation(s.db.QueryRowContext(ctx, `SELECT `+gateEvalCols+` FROM gate_evaluations WHERE id = $1`, id))
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
	w.add("id > ?", f.After)
	if f.Release != 0 {
		w.add("release_id = ?", f.Release)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	if f.Decision != "" {
		w.add("decision = ?", f.Decision)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+gateEvalCols+` FROM gate_evaluations`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
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

package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

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

func groupFor(s *Store) *evalGroup { return &s.evals }

// drain commits the queued evaluations as one group and answers them. If
// more queued meanwhile, a new goroutine commits the next group, so the
// caller that led this one answers its own request without waiting for
// later groups; when the queue is empty the group is idle again.
func (g *evalGroup) drain(ctx context.Context, s *Store) {
	g.mu.Lock()
	batch := g.queue[:min(len(g.queue), maxGroup)]
	g.queue = g.queue[len(batch):]
	g.mu.Unlock()
	err := s.write(ctx, batch[0].actor, func(tx *Tx) error { return tx.insertGateEvaluations(ctx, batch) })
	if err == nil {
		for _, p := range batch {
			if p.err == nil {
				digestsFor(s).add(p.e.InputDigest)
				digestsFor(s).add("verdict:" + p.e.verdictDigest)
			}
		}
	}
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

// insertGateEvaluations writes the evaluations of a group with their audit
// events (each in its own actor's name); their input revisions go to
// gate_inputs once per digest. A refused evaluation (unknown release or
// environment) gets its error and writes nothing, and the group goes on; a
// database error fails the group.
func (tx *Tx) insertGateEvaluations(ctx context.Context, batch []*pendingEval) error {
	seen := map[string]bool{}
	ok := make([]*pendingEval, 0, len(batch))
	for _, p := range batch {
		e := &p.e
		if p.err = tx.gateTargetExists(ctx, p.rel, e, seen); p.err == nil {
			p.err = tx.storeGateInput(ctx, e, seen)
		}
		if p.err != nil && fault.As(p.err) == nil {
			return p.err
		}
		if p.err == nil {
			p.err = tx.storeVerdict(ctx, e, seen)
		}
		if p.err != nil && fault.As(p.err) == nil {
			return p.err
		}
		if p.err == nil {
			e.CreatedBy, e.CreatedAt = p.actor.User, tx.now
			ok = append(ok, p)
		}
	}
	if err := tx.insertEvalRows(ctx, ok); err != nil {
		return err
	}
	for _, p := range ok {
		if err := tx.auditGateEvaluation(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

const insertEvalSQL = `INSERT INTO gate_evaluations (id, release_id, env, at, decision, risk_class, verdict, input_revisions,
	policy_version, policy_hash, input_digest, created_by, created_at, verdict_digest, evaluated_at) VALUES `

// evalCols is the number of columns of insertEvalSQL.
const evalCols = 15

// evalChunk bounds the rows of one multi-row INSERT on PostgreSQL.
const evalChunk = 200

// insertEvalRows inserts the rows and sets their ids. PostgreSQL takes the
// ids from the sequence in one round trip and the rows in one multi-row
// INSERT per chunk (row by row, a group of 32 was 32 sequential round trips
// in the serial writer); SQLite, in process, inserts row by row through a
// prepared statement (modernc binds many $N in quadratic time).
func (tx *Tx) insertEvalRows(ctx context.Context, ps []*pendingEval) error {
	if len(ps) == 0 {
		return nil
	}
	args := func(id any, p *pendingEval) []any {
		e := &p.e
		return []any{id, p.rel, e.Environment, ts(e.At), e.Decision, e.RiskClass, "", "{}",
			e.PolicyVersion, e.PolicyHash, e.InputDigest, e.CreatedBy, ts(e.CreatedAt), p.e.verdictDigest, ts(e.Verdict.EvaluatedAt)}
	}
	if tx.dialect == SQLite {
		for _, p := range ps {
			id, err := tx.insertID(ctx, insertEvalSQL+`(`+placeholders(1, evalCols)+`)`, args(nil, p)...)
			if err != nil {
				return err
			}
			p.e.ID = ident.Gate.Format(id)
		}
		return nil
	}
	ids, err := tx.newIDs(ctx, "gate_evaluations", len(ps))
	if err != nil {
		return err
	}
	for start := 0; start < len(ps); start += evalChunk {
		chunk := ps[start:min(start+evalChunk, len(ps))]
		var b strings.Builder
		b.WriteString(insertEvalSQL)
		vals := make([]any, 0, len(chunk)*evalCols)
		for i, p := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(" + placeholders(len(vals)+1, evalCols) + ")")
			vals = append(vals, args(ids[start+i], p)...)
			p.e.ID = ident.Gate.Format(ids[start+i])
		}
		if _, err := tx.exec(ctx, b.String(), vals...); err != nil {
			return err
		}
	}
	return nil
}

// auditGateEvaluation records p's audit event (and, for a blocked verdict,
// its gate.blocked notification) in p's actor's name.
func (tx *Tx) auditGateEvaluation(ctx context.Context, p *pendingEval) error {
	e := &p.e
	tx.actor = p.actor
	if err := tx.auditEvent(ctx, "gate.evaluate", "gate_evaluation", e.ID, 1, nil, gateAudit{ID: e.ID, Release: e.Release,
		Environment: e.Environment, At: e.At, Decision: e.Decision, RiskClass: e.RiskClass, FailedRules: failedRules(e.Verdict),
		PolicyVersion: e.PolicyVersion, PolicyHash: e.PolicyHash, InputDigest: e.InputDigest, VerdictSHA256: p.e.verdictDigest}); err != nil {
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
	var nr, ne int
	err := tx.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM releases WHERE id = $1), (SELECT COUNT(*) FROM environments WHERE name = $2)`,
		rel, e.Environment).Scan(&nr, &ne)
	switch {
	case err != nil:
		return err
	case nr == 0:
		return fault.NotFoundf("release %s not found", e.Release)
	case ne == 0:
		return fault.NotFoundf("environment %q not found", e.Environment)
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
	if stored[e.InputDigest] || digestsFor(tx.store).has(e.InputDigest) {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO gate_inputs (digest, revisions, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, e.InputDigest, string(revs), ts(tx.now)); err != nil {
		return err
	}
	stored[e.InputDigest] = true
	return nil
}

// storeVerdict writes e's verdict, in its stored form (EncodeVerdict), to
// gate_verdicts under its digest unless a row has it already, and keeps
// the digest for the evaluation row and its audit event.
func (tx *Tx) storeVerdict(ctx context.Context, e *GateEvaluation, stored map[string]bool) error {
	if e.VerdictJSON == nil {
		b, err := EncodeVerdict(e.Verdict)
		if err != nil {
			return err
		}
		e.VerdictJSON = b
	}
	sum := sha256.Sum256(e.VerdictJSON)
	digest := hex.EncodeToString(sum[:])
	e.verdictDigest = digest
	key := "verdict:" + digest
	if stored[key] || digestsFor(tx.store).has(key) {
		return nil
	}
	if _, err := tx.exec(ctx, `INSERT INTO gate_verdicts (digest, verdict, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (digest) DO NOTHING`, digest, string(e.VerdictJSON), ts(tx.now)); err != nil {
		return err
	}
	stored[key] = true
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

// digestSet remembers input digests whose gate_inputs row is committed
// (rows are never deleted), so later groups skip the INSERT; bounded: when
// full it starts again empty.
type digestSet struct {
	mu sync.Mutex
	m  map[string]bool
}

const maxDigests = 4096

func digestsFor(s *Store) *digestSet { return &s.digests }

func (d *digestSet) has(digest string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m[digest]
}

func (d *digestSet) add(digest string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil || len(d.m) >= maxDigests {
		d.m = map[string]bool{}
	}
	d.m[digest] = true
}

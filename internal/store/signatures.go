package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/matcher"
	"fixgate/internal/problem"
	"fixgate/internal/signal"
)

// Signature is one label matcher that recognises a problem's alerts and
// incidents. A removed signature stays stored (incidents it matched keep
// naming it) but no longer matches.
type Signature struct {
	ID        string     `json:"id"`      // SIG-n
	Problem   string     `json:"problem"` // PRB-n
	Matcher   string     `json:"matcher"` // canonical form
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RemovedBy string     `json:"removed_by,omitempty"`
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

const signatureCols = `id, problem_id, matcher, created_by, created_at, removed_by, removed_at`

func scanSignature(sc interface{ Scan(...any) error }) (Signature, error) {
	var g Signature
	var id, prb int64
	err := sc.Scan(&id, &prb, &g.Matcher, &g.CreatedBy, timeCol{&g.CreatedAt}, &g.RemovedBy, nullTimeCol{&g.RemovedAt})
	g.ID, g.Problem = ident.Signature.Format(id), ident.Problem.Format(prb)
	return g, err
}

// parseMatcher parses a signature, naming the field "matcher" in errors.
func parseMatcher(text string) (matcher.Selector, error) {
	sel, err := matcher.Parse(text)
	if fe := fault.As(err); fe != nil && fe.Field == matcher.Field {
		c := *fe
		c.Field = "matcher"
		return nil, &c
	}
	return sel, err
}

// AddSignature adds a matcher (Prometheus style, e.g.
// {alertname="HighErrorRate",service="checkout"}) to a problem, stored in
// canonical form. Returns Invalid naming "matcher", NotFound for the
// problem, Conflict when the problem is closed or canceled or already has
// the same signature. Audited as problem.signature.add.
func (s *Store) AddSignature(ctx context.Context, a audit.Actor, problemID int64, text string) (Signature, error) {
	sel, err := parseMatcher(text)
	if err != nil {
		return Signature{}, err
	}
	var g Signature
	err = s.write(ctx, a, func(tx *Tx) error {
		p, err := tx.getProblem(ctx, problemID)
		if err != nil {
			return err
		}
		if p.Status == problem.Closed || p.Status == problem.Canceled {
			return fault.Conflictf("problem %s is %s; its signatures can no longer change", p.ID, p.Status)
		}
		var dup int64
		err = tx.queryRow(ctx, `SELECT id FROM problem_signatures WHERE problem_id = $1 AND matcher = $2 AND removed_at IS NULL`,
			problemID, sel.String()).Scan(&dup)
		if err == nil {
			return &fault.Error{Code: fault.Conflict, Field: "matcher", Message: "problem " + p.ID + " already has this signature as " +
				ident.Signature.Format(dup), Extra: map[string]any{"signature": ident.Signature.Format(dup)}}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		g = Signature{Problem: p.ID, Matcher: sel.String(), CreatedBy: tx.actor.User, CreatedAt: tx.now}
		var id int64
		if err := tx.queryRow(ctx, `INSERT INTO problem_signatures (problem_id, matcher, created_by, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, problemID, g.Matcher, g.CreatedBy, ts(g.CreatedAt)).Scan(&id); err != nil {
			return err
		}
		g.ID = ident.Signature.Format(id)
		return tx.auditEvent(ctx, "problem.signature.add", "problem", p.ID, p.Revision, nil, g)
	})
	if err != nil {
		return g, err
	}
	n, _ := ident.Signature.Parse("id", g.ID)
	s.sigIndex().add(n, problemID, sel)
	return g, nil
}

// RemoveSignature withdraws a signature of a problem. Returns NotFound when
// the problem has no such active signature. Audited as problem.signature.remove.
func (s *Store) RemoveSignature(ctx context.Context, a audit.Actor, problemID, sigID int64) (Signature, error) {
	var g Signature
	err := s.write(ctx, a, func(tx *Tx) error {
		p, err := tx.getProblem(ctx, problemID)
		if err != nil {
			return err
		}
		g, err = scanSignature(tx.queryRow(ctx, `SELECT `+signatureCols+` FROM problem_signatures
			WHERE id = $1 AND problem_id = $2 AND removed_at IS NULL`, sigID, problemID))
		if errors.Is(err, sql.ErrNoRows) {
			return fault.NotFoundf("problem %s has no signature %s", p.ID, ident.Signature.Format(sigID))
		}
		if err != nil {
			return err
		}
		before := g
		g.RemovedBy, g.RemovedAt = tx.actor.User, &tx.now
		if _, err := tx.exec(ctx, `UPDATE problem_signatures SET removed_by = $1, removed_at = $2 WHERE id = $3`,
			g.RemovedBy, ts(tx.now), sigID); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "problem.signature.remove", "problem", p.ID, p.Revision, before, g)
	})
	if err == nil {
		s.sigIndex().remove(sigID)
	}
	return g, err
}

// ListSignatures returns the active signatures of a problem in id order.
// Returns NotFound for an unknown problem.
func (s *Store) ListSignatures(ctx context.Context, problemID int64) ([]Signature, error) {
	if _, err := s.GetProblem(ctx, problemID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+signatureCols+` FROM problem_signatures
		WHERE problem_id = $1 AND removed_at IS NULL ORDER BY id`, problemID)
	if err != nil {
		return nil, errf(err, "list signatures")
	}
	defer rows.Close()
	out := []Signature{}
	for rows.Next() {
		g, err := scanSignature(rows)
		if err != nil {
			return nil, errf(err, "scan signature")
		}
		out = append(out, g)
	}
	return out, errf(rows.Err(), "list signatures")
}

// SignatureRecheck is how often a process checks whether other replicas
// changed signatures or closed problems (see sigIndex).
var SignatureRecheck = 10 * time.Second

// sigIndex is the in-memory matcher.Index of the active signatures of
// problems that are neither closed nor canceled. It is loaded lazily on the
// first match. Changes made through this Store update it right after their
// commit; changes made by other replicas are picked up by a cheap version
// query (highest signature id, active signature count, count of closed or
// canceled problems) run at most every SignatureRecheck, which reloads the
// index when the version moved. A stale entry can only name a problem that
// has since closed: matching re-reads the problem in its transaction and
// drops such entries, so staleness never links to a closed problem.
type sigIndex struct {
	mu        sync.RWMutex
	ix        *matcher.Index
	owner     map[int64]int64 // signature → problem
	loaded    bool
	checkedAt time.Time
	version   [3]int64
}

func (s *Store) sigIndex() *sigIndex { return s.sigs }

type rowsQuerier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// fresh loads the index if it never was, and reloads it when another
// replica changed it (checked at most every SignatureRecheck). q is the
// database or the caller's transaction.
func (x *sigIndex) fresh(ctx context.Context, q rowsQuerier) error {
	x.mu.RLock()
	ok := x.loaded && time.Since(x.checkedAt) < SignatureRecheck
	x.mu.RUnlock()
	if ok {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.loaded && time.Since(x.checkedAt) < SignatureRecheck {
		return nil
	}
	var v [3]int64
	if err := q.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(id), 0) FROM problem_signatures),
		(SELECT COUNT(*) FROM problem_signatures WHERE removed_at IS NULL),
		(SELECT COUNT(*) FROM problems WHERE status IN ('closed', 'canceled'))`).Scan(&v[0], &v[1], &v[2]); err != nil {
		return errf(err, "signature version")
	}
	x.checkedAt = time.Now()
	if x.loaded && v == x.version {
		return nil
	}
	rows, err := q.QueryContext(ctx, `SELECT g.id, g.problem_id, g.matcher FROM problem_signatures g
		JOIN problems p ON p.id = g.problem_id
		WHERE g.removed_at IS NULL AND p.status NOT IN ('closed', 'canceled')`)
	if err != nil {
		return errf(err, "load signatures")
	}
	defer rows.Close()
	ix, owner := matcher.NewIndex(), map[int64]int64{}
	for rows.Next() {
		var id, prb int64
		var text string
		if err := rows.Scan(&id, &prb, &text); err != nil {
			return errf(err, "load signatures")
		}
		sel, err := matcher.Parse(text)
		if err != nil {
			continue // stored canonical text always parses; never let one bad row stop matching
		}
		ix.Add(id, sel)
		owner[id] = prb
	}
	if err := rows.Err(); err != nil {
		return errf(err, "load signatures")
	}
	x.ix, x.owner, x.loaded, x.version = ix, owner, true, v
	return nil
}

func (x *sigIndex) add(id, problemID int64, sel matcher.Selector) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ix.Add(id, sel)
	x.owner[id] = problemID
}

func (x *sigIndex) remove(id int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.ix.Remove(id)
	delete(x.owner, id)
}

// dropProblem removes every signature of a problem that closed or was canceled.
func (x *sigIndex) dropProblem(problemID int64) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for id, p := range x.owner {
		if p == problemID {
			x.ix.Remove(id)
			delete(x.owner, id)
		}
	}
}

// hit is one signature that matched, with its problem.
type hit struct{ sig, problem int64 }

// match returns the signatures matching labels, by problem then signature id.
func (x *sigIndex) match(labels map[string]string) []hit {
	x.mu.RLock()
	ids := x.ix.Match(labels)
	out := make([]hit, 0, len(ids))
	for _, id := range ids {
		if p, ok := x.owner[id]; ok {
			out = append(out, hit{id, p})
		}
	}
	x.mu.RUnlock()
	slices.SortFunc(out, func(a, b hit) int { return cmp.Or(cmp.Compare(a.problem, b.problem), cmp.Compare(a.sig, b.sig)) })
	return out
}

// problemStateSQL reads what signal.Decide needs of a problem.
const problemStateSQL = `SELECT id, status, resolved_at, observation_until FROM problems`

// problemStates reads the decision state of the problems hits name, in one
// query (PostgreSQL batches; the ids travel as one JSON array).
func (tx *Tx) problemStates(ctx context.Context, hits [][]hit) (map[int64]signal.ProblemState, error) {
	var ids []int64
	for _, hs := range hits {
		for _, h := range hs {
			ids = append(ids, h.problem)
		}
	}
	out := make(map[int64]signal.ProblemState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.query(ctx, problemStateSQL+` WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)`, jsonText(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st signal.ProblemState
		if err := rows.Scan(&id, &st.Status, nullTimeCol{&st.ObservationStart}, nullTimeCol{&st.ObservationEnd}); err != nil {
			return nil, err
		}
		out[id] = st
	}
	return out, rows.Err()
}

// matchResult is what matching one signal or incident did.
type matchResult struct {
	problem, sig int64  // the problem it is linked to and the signature that matched (0: none)
	decision     string // signal.Decide's outcome for that problem
	recurrences  int    // problems it reopened
}

// matchSignal matches labels (of a signal that began at at) against the
// index and applies the outcome to every problem matched (first signature
// per problem): a recurrence reopens a resolved problem (see recur). The
// result names the problem to link: the first one with a recurrence, else
// the first matched, in problem id order. Closed and canceled problems are
// not matched. subject names the signal in audit events and notifications.
func (tx *Tx) matchSignal(ctx context.Context, ix *sigIndex, lbls map[string]string, at time.Time, subject string) (matchResult, error) {
	return tx.matchHits(ctx, ix, ix.match(lbls), nil, lbls, at, subject)
}

// matchHits is matchSignal for the hits ix.match returned; states, when not
// nil, holds problem states read ahead for a batch (see problemStates).
func (tx *Tx) matchHits(ctx context.Context, ix *sigIndex, hits []hit, states map[int64]signal.ProblemState,
	lbls map[string]string, at time.Time, subject string) (matchResult, error) {
	var r matchResult
	var last int64
	for _, h := range hits {
		if h.problem == last {
			continue
		}
		last = h.problem
		d, err := tx.applyMatch(ctx, ix, h, states, lbls, at, subject)
		if err != nil {
			return r, err
		}
		if d.Outcome == signal.Ignored {
			continue
		}
		if d.Reopen {
			r.recurrences++
		}
		if r.problem == 0 || d.Outcome == signal.Recurrence && r.decision != signal.Recurrence {
			r.problem, r.sig, r.decision = h.problem, h.sig, d.Outcome
		}
	}
	return r, nil
}

// applyMatch decides what a match means for one problem and applies a
// recurrence. The problem's state comes from states when it holds it (a
// recurrence removes it there: the problem changed), else from one query.
func (tx *Tx) applyMatch(ctx context.Context, ix *sigIndex, h hit, states map[int64]signal.ProblemState,
	lbls map[string]string, at time.Time, subject string) (signal.Decision, error) {
	// Only the state the decision needs is read; the whole problem only for a recurrence.
	st, ok := states[h.problem]
	var err error
	if !ok {
		err = tx.queryRow(ctx, problemStateSQL+` WHERE id = $1`, h.problem).Scan(
			new(int64), &st.Status, nullTimeCol{&st.ObservationStart}, nullTimeCol{&st.ObservationEnd})
	}
	if errors.Is(err, sql.ErrNoRows) {
		ix.dropProblem(h.problem)
		return signal.Decision{Outcome: signal.Ignored}, nil
	}
	if err != nil {
		return signal.Decision{}, err
	}
	if st.Status == problem.Closed || st.Status == problem.Canceled {
		ix.dropProblem(h.problem) // stale entry: another replica closed it
		return signal.Decision{Outcome: signal.Ignored, Reason: "the problem is " + st.Status}, nil
	}
	d := signal.Decide(st, at)
	if !d.Reopen {
		return d, nil
	}
	delete(states, h.problem)
	p, err := tx.getProblem(ctx, h.problem)
	if err != nil {
		return signal.Decision{}, err
	}
	return d, tx.recur(ctx, h, p, lbls, at, subject, d)
}

// recur reopens a resolved problem after a recurrence: resolved →
// fix_in_progress through the domain Move (recurrence_count + 1), the
// outcome "recurred" appended to each of its known errors for the release
// and deployment that fixed it (the most recent succeeded deployment of a
// release resolving the problem), audit events, and problem.recurred in
// the outbox — all in the caller's transaction.
func (tx *Tx) recur(ctx context.Context, h hit, before problem.Problem, lbls map[string]string, at time.Time, subject string, d signal.Decision) error {
	p := before
	p.CIs, p.Environments = slices.Clone(before.CIs), slices.Clone(before.Environments)
	if err := p.Move(problem.FixInProgress, tx.actor.User, tx.now, 0); err != nil {
		return err
	}
	p.Revision, p.UpdatedAt = before.Revision+1, tx.now
	if err := tx.saveProblem(ctx, h.problem, &p); err != nil {
		return err
	}
	if err := tx.auditEvent(ctx, "problem.recur", "problem", p.ID, p.Revision, before, p); err != nil {
		return err
	}
	rel, dep, err := tx.fixingDeployment(ctx, h.problem)
	if err != nil {
		return err
	}
	note := subject + " matched " + ident.Signature.Format(h.sig) + ": " + d.Reason
	kes, err := tx.recordRecurred(ctx, h.problem, rel, dep, note, at)
	if err != nil {
		return err
	}
	return tx.enqueue(ctx, EventProblemRecurred, map[string]any{
		"problem": p.ID, "title": p.Title, "priority": p.Priority, "status": p.Status, "recurrence_count": p.RecurrenceCount,
		"signature": ident.Signature.Format(h.sig), "signal": subject, "labels": lbls, "at": at.UTC(),
		"release": rel, "deployment": dep, "known_errors": kes, "reason": d.Reason})
}

// fixingDeployment returns the release and deployment that fixed a
// problem: the most recent succeeded deployment of a release resolving it,
// else (no deployment recorded) the latest such release and no deployment.
func (tx *Tx) fixingDeployment(ctx context.Context, problemID int64) (rel, dep string, err error) {
	var d, r int64
	err = tx.queryRow(ctx, `SELECT d.id, d.release_id FROM deployments d
		JOIN release_problems rp ON rp.release_id = d.release_id
		WHERE rp.problem_id = $1 AND d.status = 'succeeded' AND d.finished_at IS NOT NULL
		ORDER BY d.finished_at DESC, d.id DESC LIMIT 1`, problemID).Scan(&d, &r)
	if err == nil {
		return ident.Release.Format(r), ident.Deployment.Format(d), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", "", err
	}
	err = tx.queryRow(ctx, `SELECT release_id FROM release_problems WHERE problem_id = $1 ORDER BY release_id DESC LIMIT 1`,
		problemID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	return ident.Release.Format(r), "", nil
}

// recordRecurred appends the outcome "recurred" to every known error of
// the problem (none when no release is known: an outcome names its fix
// attempt) and returns their ids.
func (tx *Tx) recordRecurred(ctx context.Context, problemID int64, rel, dep, note string, at time.Time) ([]string, error) {
	kes := []string{}
	if rel == "" && dep == "" {
		return kes, nil
	}
	rows, err := tx.query(ctx, `SELECT id FROM known_errors WHERE problem_id = $1 ORDER BY id`, problemID)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if at.After(tx.now) {
		at = tx.now
	}
	for _, id := range ids {
		k, err := getKnownError(ctx, tx.tx, id)
		if err != nil {
			return nil, err
		}
		old := slices.Clone(k.Outcomes)
		if len(note) > knownerror.MaxNote {
			note = strings.ToValidUTF8(note[:knownerror.MaxNote], "")
		}
		if _, err := k.AddOutcome(knownerror.Outcome{Release: rel, Deployment: dep, Outcome: knownerror.Recurred, Note: note, At: at}, tx.now); err != nil {
			return nil, err
		}
		added, err := tx.addOutcomes(ctx, id, old, k.Outcomes)
		if err != nil {
			return nil, err
		}
		k.Revision = k.Revision + 1
		if _, err := tx.exec(ctx, `UPDATE known_errors SET rev = $1, updated_at = $2 WHERE id = $3`, k.Revision, ts(tx.now), id); err != nil {
			return nil, err
		}
		if err := tx.auditEvent(ctx, "known_error.outcome", "known_error", k.ID, k.Revision, nil, map[string]any{"outcome": added[0]}); err != nil {
			return nil, err
		}
		kes = append(kes, k.ID)
	}
	return kes, nil
}

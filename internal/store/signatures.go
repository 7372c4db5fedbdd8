package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/matcher"
	"fixgate/internal/problem"
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

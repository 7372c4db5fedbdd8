package store

import (
	"context"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/pir"
	"fixgate/internal/problem"
)

// ClosureCheck says whether a problem may close and, if not, every
// condition it still misses.
type ClosureCheck struct {
	Problem string        `json:"problem"`
	Ready   bool          `json:"ready"`
	Missing []problem.Gap `json:"missing"`
}

// Confirmation is a validator's statement that a problem's fix worked.
type Confirmation struct {
	ID              int64     `json:"id"`
	Problem         string    `json:"problem"`
	ProblemRevision int64     `json:"problem_revision"`
	Validator       string    `json:"validator"`
	Comment         string    `json:"comment"`
	At              time.Time `json:"at"`
}

// closureFacts counts what problem.ClosureGaps judges about p (id its
// number) since its resolution: recurrences (signals judged a recurrence,
// incidents linked to it and opened during the observation period),
// completed PIRs and confirmations. Recurrences are counted only for a
// resolved problem, the only one ClosureGaps judges them for (else a
// problem with a long history would count all its incidents).
func (tx *Tx) closureFacts(ctx context.Context, id int64, p *problem.Problem) (problem.ClosureFacts, error) {
	var f problem.ClosureFacts
	resolved, until := time.Time{}.Add(1), tx.now
	if p.ResolvedAt != nil {
		resolved = *p.ResolvedAt
	}
	if p.ObservationUntil != nil {
		until = *p.ObservationUntil
	}
	// Not resolved: an empty range (0, and $3 keeps its type on PostgreSQL).
	recurrences := `(SELECT COUNT(*) FROM incidents WHERE problem_id = $1 AND opened_at >= $3 AND opened_at < $3)`
	if p.Status == problem.Resolved && p.ResolvedAt != nil {
		recurrences = `(SELECT COUNT(*) FROM signals WHERE problem_id = $1 AND decision = 'recurrence' AND starts_at >= $2)
			+ (SELECT COUNT(*) FROM incidents WHERE problem_id = $1 AND opened_at >= $2 AND opened_at < $3)`
	}
	err := tx.queryRow(ctx, `SELECT `+recurrences+`,
		(SELECT COUNT(*) FROM pirs WHERE problem_id = $1 AND status = $4 AND completed_at >= $2),
		(SELECT COUNT(*) FROM problem_confirmations WHERE problem_id = $1 AND at >= $2)`,
		id, ts(resolved), ts(until), pir.Completed).Scan(&f.Recurrences, &f.CompletedPIRs, &f.Confirmations)
	return f, err
}

// closureGaps loads p's closure facts and judges them at tx.now.
func (tx *Tx) closureGaps(ctx context.Context, id int64, p *problem.Problem) ([]problem.Gap, error) {
	f, err := tx.closureFacts(ctx, id, p)
	if err != nil {
		return nil, err
	}
	return problem.ClosureGaps(*p, f, tx.now), nil
}

// CheckClosure reports whether a problem may close now, and why not.
func (s *Store) CheckClosure(ctx context.Context, id int64) (ClosureCheck, error) {
	var c ClosureCheck
	err := s.read(ctx, func(tx *Tx) error {
		p, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		gaps, err := tx.closureGaps(ctx, id, &p)
		c = ClosureCheck{Problem: p.ID, Ready: len(gaps) == 0, Missing: gaps}
		return err
	})
	return c, err
}

// read runs fn in a read-only transaction that is always rolled back (one
// consistent view for the Tx helpers; nothing it does is kept): snapshot, so
// that a long read (a report over years of history) never holds SQLite's
// write lock, as a plain BEGIN there (BEGIN IMMEDIATE) would.
func (s *Store) read(ctx context.Context, fn func(*Tx) error) error {
	return s.snapshot(ctx, fn)
}

// CloseProblem closes a resolved problem whose closure conditions all
// hold (see closureGaps), guarded by ifRev (0 skips). Returns
// PreconditionFailed listing every missing condition (Extra "missing": the
// condition names), NotFound, or a stale-revision PreconditionFailed.
// Audited as problem.close; enqueues problem.closed.
func (s *Store) CloseProblem(ctx context.Context, a audit.Actor, id, ifRev int64, comment string) (problem.Problem, error) {
	var p problem.Problem
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("problem "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		gaps, err := tx.closureGaps(ctx, id, &before)
		if err != nil {
			return err
		}
		if len(gaps) > 0 {
			return refusal(before.ID, gaps)
		}
		p = before
		if err := p.Close(tx.now); err != nil {
			return err
		}
		p.Revision, p.UpdatedAt = before.Revision+1, tx.now
		if err := tx.saveProblem(ctx, id, &p); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "problem.close", "problem", p.ID, p.Revision, before, p); err != nil {
			return err
		}
		return tx.enqueue(ctx, EventProblemClosed, map[string]any{"problem": p.ID, "title": p.Title, "priority": p.Priority,
			"closed_by": a.User, "comment": strings.TrimSpace(comment), "recurrence_count": p.RecurrenceCount})
	})
	if err == nil {
		s.sigIndex().dropProblem(id)
	}
	return p, err
}

func refusal(problemID string, gaps []problem.Gap) error {
	msgs, conds := make([]string, len(gaps)), make([]string, len(gaps))
	for i, g := range gaps {
		msgs[i], conds[i] = g.Message, g.Condition
	}
	return &fault.Error{Code: fault.PreconditionFailed,
		Message: problemID + " cannot close: " + strings.Join(msgs, "; "),
		Extra:   map[string]any{"missing": conds}}
}

// ConfirmFix records that the acting user, as an independent validator,
// confirmed the fix of a resolved problem (problem.CheckConfirmer decides
// independence from the releases resolving it, their changes, the RCA and
// the resolution). Returns PreconditionFailed for a problem that is not
// resolved, Forbidden for a member of the fix team, Invalid naming
// "comment". Audited as problem.confirm.
func (s *Store) ConfirmFix(ctx context.Context, a audit.Actor, id int64, comment string) (Confirmation, error) {
	comment = strings.TrimSpace(comment)
	if len(comment) > 2000 {
		return Confirmation{}, fault.Field("comment", "is longer than 2000 bytes")
	}
	var c Confirmation
	err := s.write(ctx, a, func(tx *Tx) error {
		p, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		team, err := tx.fixTeam(ctx, id)
		if err != nil {
			return err
		}
		if err := problem.CheckConfirmer(a.User, &p, team); err != nil {
			return err
		}
		c = Confirmation{Problem: p.ID, ProblemRevision: p.Revision, Validator: a.User, Comment: comment, At: tx.now}
		if err := tx.queryRow(ctx, `INSERT INTO problem_confirmations (problem_id, problem_rev, validator, comment, at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, id, p.Revision, c.Validator, c.Comment, ts(c.At)).Scan(&c.ID); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "problem.confirm", "problem", p.ID, p.Revision, nil, c)
	})
	return c, err
}

// fixTeam returns who created the releases resolving a problem and who
// requested changes for them.
func (tx *Tx) fixTeam(ctx context.Context, id int64) (problem.FixTeam, error) {
	var t problem.FixTeam
	for _, q := range []struct {
		sql string
		to  *[]string
	}{
		{`SELECT DISTINCT r.created_by FROM releases r JOIN release_problems rp ON rp.release_id = r.id WHERE rp.problem_id = $1`, &t.ReleaseCreators},
		{`SELECT DISTINCT c.requested_by FROM changes c JOIN release_problems rp ON rp.release_id = c.release_id WHERE rp.problem_id = $1`, &t.ChangeRequesters},
	} {
		rows, err := tx.query(ctx, q.sql, id)
		if err != nil {
			return t, err
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return t, err
			}
			*q.to = append(*q.to, u)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return t, err
		}
	}
	return t, nil
}

// ListConfirmations returns the confirmations of a problem, oldest first.
func (s *Store) ListConfirmations(ctx context.Context, id int64) ([]Confirmation, error) {
	p, err := s.GetProblem(ctx, id)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, problem_rev, validator, comment, at FROM problem_confirmations
		WHERE problem_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errf(err, "list confirmations")
	}
	defer rows.Close()
	out := []Confirmation{}
	for rows.Next() {
		c := Confirmation{Problem: p.ID}
		if err := rows.Scan(&c.ID, &c.ProblemRevision, &c.Validator, &c.Comment, timeCol{&c.At}); err != nil {
			return nil, errf(err, "scan confirmation")
		}
		out = append(out, c)
	}
	return out, errf(rows.Err(), "list confirmations")
}

// ReadyToClose returns the problems that may close now (no closure gap),
// in id order after pg.After, at most pg.Limit. The candidates are the
// resolved problems whose observation period is over; problem.ClosureGaps
// decides, as for a closure.
func (s *Store) ReadyToClose(ctx context.Context, pg Page) ([]problem.Problem, error) {
	pg = pg.Norm()
	out := []problem.Problem{}
	err := s.read(ctx, func(tx *Tx) error {
		rows, err := tx.query(ctx, problemSelect+` WHERE status = $1 AND observation_until <= $2 AND id > $3 ORDER BY id`,
			problem.Resolved, ts(tx.now), pg.After)
		if err != nil {
			return err
		}
		var cands []problem.Problem
		var ids []int64
		for rows.Next() {
			p, id, err := scanProblem(rows)
			if err != nil {
				rows.Close()
				return err
			}
			cands, ids = append(cands, p), append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for i := 0; i < len(cands) && len(out) < pg.Limit; i++ {
			gaps, err := tx.closureGaps(ctx, ids[i], &cands[i])
			if err != nil {
				return err
			}
			if len(gaps) == 0 {
				out = append(out, cands[i])
			}
		}
		return nil
	})
	return out, errf(err, "ready to close")
}

// ReadyStepResult says what one run of the ready-to-close job did.
type ReadyStepResult struct {
	Ready    int      `json:"ready"`
	Notified []string `json:"notified"`
	Closed   []string `json:"closed"`
}

// NotifyReadyToClose enqueues problem.ready_to_close once per problem and
// resolution for every problem ready to close, and closes them when
// autoClose is set (as actor a). A problem that stopped being ready between
// the listing and its closure is skipped.
func (s *Store) NotifyReadyToClose(ctx context.Context, a audit.Actor, autoClose bool) (ReadyStepResult, error) {
	res := ReadyStepResult{Notified: []string{}, Closed: []string{}}
	var ready []problem.Problem
	for pg := (Page{Limit: MaxLimit}); ; {
		ps, err := s.ReadyToClose(ctx, pg)
		if err != nil {
			return res, err
		}
		ready = append(ready, ps...)
		if len(ps) < pg.Limit {
			break
		}
		pg.After, _ = ident.Problem.Parse("id", ps[len(ps)-1].ID)
	}
	res.Ready = len(ready)
	if len(ready) == 0 {
		return res, nil
	}
	err := s.write(ctx, a, func(tx *Tx) error {
		res.Notified = res.Notified[:0]
		for _, p := range ready {
			key := EventProblemReadyToClose + ":" + p.ID + ":" + ts(*p.ResolvedAt)
			ok, err := tx.enqueueOnce(ctx, EventProblemReadyToClose, key, map[string]any{"problem": p.ID, "title": p.Title,
				"priority": p.Priority, "resolved_at": p.ResolvedAt, "observation_until": p.ObservationUntil})
			if err != nil {
				return err
			}
			if ok {
				res.Notified = append(res.Notified, p.ID)
			}
		}
		return nil
	})
	if err != nil || !autoClose {
		return res, err
	}
	for _, p := range ready {
		id, _ := ident.Problem.Parse("id", p.ID)
		_, err := s.CloseProblem(ctx, a, id, p.Revision, "closed automatically: every closure condition holds")
		switch {
		case err == nil:
			res.Closed = append(res.Closed, p.ID)
		case fault.CodeOf(err) == fault.PreconditionFailed:
		default:
			return res, err
		}
	}
	return res, nil
}

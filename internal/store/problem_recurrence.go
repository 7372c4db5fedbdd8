package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/problem"
	"fixgate/internal/signal"
)

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
	p, err := tx.getProblem(ctx, h.problem) // locks the row on PostgreSQL
	if err != nil {
		return signal.Decision{}, err
	}
	// Decide again on the locked row: a concurrent ingest may have reopened
	// the problem between the unlocked state read and the lock (PostgreSQL).
	d = signal.Decide(signal.ProblemState{Status: p.Status, ObservationStart: p.ResolvedAt, ObservationEnd: p.ObservationUntil}, at)
	if !d.Reopen {
		return d, nil
	}
	return d, tx.recur(ctx, h, p, lbls, at, subject, d)
}

// recur reopens a resolved problem after a recurrence: resolved →
// fix_in_progress through the domain Move (recurrence_count + 1, the RCA's
// validation withdrawn: see withdrawValidations), the
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
	if before.RCA.Validated() {
		if err := tx.withdrawValidations(ctx, h.problem, "recurrence: "+subject+" matched "+ident.Signature.Format(h.sig)); err != nil {
			return err
		}
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
	return tx.recordOutcome(ctx, problemID, rel, dep, knownerror.Recurred, note, at)
}

// recordOutcome appends outcome to every known error of the problem for
// the release and deployment (none when neither is known) and returns their ids.
func (tx *Tx) recordOutcome(ctx context.Context, problemID int64, rel, dep, outcome, note string, at time.Time) ([]string, error) {
	return tx.recordOutcomeUnless(ctx, problemID, knownerror.Outcome{Release: rel, Deployment: dep, Outcome: outcome, Note: note, At: at}, nil)
}

// recordOutcomeUnless is recordOutcome of o, skipping each known error
// whose outcomes so far satisfy had (nil: none is skipped).
func (tx *Tx) recordOutcomeUnless(ctx context.Context, problemID int64, o knownerror.Outcome,
	had func([]knownerror.Outcome) bool) ([]string, error) {
	kes := []string{}
	if o.Release == "" && o.Deployment == "" {
		return kes, nil
	}
	ids, err := tx.int64s(ctx, `SELECT id FROM known_errors WHERE problem_id = $1 ORDER BY id`, problemID)
	if err != nil {
		return nil, err
	}
	if o.At.After(tx.now) {
		o.At = tx.now
	}
	if len(o.Note) > knownerror.MaxNote {
		o.Note = strings.ToValidUTF8(o.Note[:knownerror.MaxNote], "")
	}
	for _, id := range ids {
		k, err := getKnownError(ctx, tx.tx, id, tx.forUpdate())
		if err != nil {
			return nil, err
		}
		if had != nil && had(k.Outcomes) {
			continue
		}
		if err := tx.appendOutcome(ctx, id, k, o); err != nil {
			return nil, err
		}
		kes = append(kes, k.ID)
	}
	return kes, nil
}

// appendOutcome adds o to known error k (row id) with its audit event.
func (tx *Tx) appendOutcome(ctx context.Context, id int64, k knownerror.KnownError, o knownerror.Outcome) error {
	old := slices.Clone(k.Outcomes)
	if _, err := k.AddOutcome(o, tx.now); err != nil {
		return err
	}
	added, err := tx.addOutcomes(ctx, id, old, k.Outcomes)
	if err != nil {
		return err
	}
	k.Revision = k.Revision + 1
	if err := tx.updateRev(ctx, "known error "+k.ID, k.Revision-1, `UPDATE known_errors SET rev = $1, updated_at = $2 WHERE id = $3 AND rev = $4`,
		k.Revision, ts(tx.now), id, k.Revision-1); err != nil {
		return err
	}
	return tx.auditEvent(ctx, "known_error.outcome", "known_error", k.ID, k.Revision, nil, map[string]any{"outcome": added[0]})
}

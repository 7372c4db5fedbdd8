package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/knownerror"
	"fixgate/internal/labels"
)

const knownErrorCols = `id, problem_id, title, symptoms, root_cause, workaround, status, labels, rev, created_by, created_at, updated_at`

func scanKnownError(sc interface{ Scan(...any) error }) (knownerror.KnownError, int64, error) {
	var k knownerror.KnownError
	var id int64
	var prb sql.NullInt64
	err := sc.Scan(&id, &prb, &k.Title, &k.Symptoms, &k.RootCause, &k.Workaround, &k.Status, jsonCol{&k.Labels},
		&k.Revision, &k.CreatedBy, timeCol{&k.CreatedAt}, timeCol{&k.UpdatedAt})
	k.ID = ident.KnownError.Format(id)
	if prb.Valid {
		k.Problem = ident.Problem.Format(prb.Int64)
	}
	if k.Labels == nil {
		k.Labels = labels.Set{}
	}
	k.Outcomes = []knownerror.Outcome{}
	return k, id, err
}

// requireRecord returns Invalid naming field unless the numbered record
// exists. table is a literal chosen by the caller.
func (tx *Tx) requireRecord(ctx context.Context, field, table string, k ident.Kind, ref string) error {
	if ref == "" {
		return nil
	}
	var q string
	switch table {
	case "problems":
		q = `SELECT COUNT(*) FROM problems WHERE id = $1`
	case "releases":
		q = `SELECT COUNT(*) FROM releases WHERE id = $1`
	case "deployments":
		q = `SELECT COUNT(*) FROM deployments WHERE id = $1`
	default:
		panic("requireRecord: unknown table " + table)
	}
	var n int
	if err := tx.queryRow(ctx, q, idArg(k, ref)).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fault.Field(field, "%s does not exist", ref)
	}
	return nil
}

// CreateKnownError stores a new known error as a draft after k.Validate.
// Returns Invalid naming the field ("problem" for an unknown problem).
func (s *Store) CreateKnownError(ctx context.Context, a audit.Actor, k knownerror.KnownError) (knownerror.KnownError, error) {
	if err := k.Validate(); err != nil {
		return k, err
	}
	k.Outcomes = []knownerror.Outcome{}
	err := s.write(ctx, a, func(tx *Tx) error {
		if err := tx.requireRecord(ctx, "problem", "problems", ident.Problem, k.Problem); err != nil {
			return err
		}
		k.Status, k.Revision, k.CreatedBy, k.CreatedAt, k.UpdatedAt = knownerror.Draft, 1, a.User, tx.now, tx.now
		var id int64
		err := tx.queryRow(ctx, `INSERT INTO known_errors (problem_id, title, symptoms, root_cause, workaround, status, labels,
			rev, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			idArg(ident.Problem, k.Problem), k.Title, k.Symptoms, k.RootCause, k.Workaround, k.Status, jsonText(k.Labels),
			k.Revision, k.CreatedBy, ts(tx.now), ts(tx.now)).Scan(&id)
		if err != nil {
			return err
		}
		k.ID = ident.KnownError.Format(id)
		if err := tx.setKnownErrorLabels(ctx, id, k.Labels); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "known_error.create", "known_error", k.ID, k.Revision, nil, k)
	})
	return k, err
}

// setKnownErrorLabels replaces the searchable label rows of a known error.
func (tx *Tx) setKnownErrorLabels(ctx context.Context, id int64, ls labels.Set) error {
	if _, err := tx.exec(ctx, `DELETE FROM known_error_labels WHERE known_error_id = $1`, id); err != nil {
		return err
	}
	for _, n := range ls.Names() {
		if _, err := tx.exec(ctx, `INSERT INTO known_error_labels (known_error_id, name, value) VALUES ($1, $2, $3)`, id, n, ls[n]); err != nil {
			return err
		}
	}
	return nil
}

// GetKnownError returns one known error with its outcomes. Returns NotFound if there is none.
func (s *Store) GetKnownError(ctx context.Context, id int64) (knownerror.KnownError, error) {
	return getKnownError(ctx, s.db, id, "")
}

type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// getKnownError reads known error id with its outcomes through q; lock is
// appended to the read of its row (tx.forUpdate() before an update, else "").
func getKnownError(ctx context.Context, q rowQuerier, id int64, lock string) (knownerror.KnownError, error) {
	k, _, err := scanKnownError(q.QueryRowContext(ctx, `SELECT `+knownErrorCols+` FROM known_errors WHERE id = $1`+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return k, fault.NotFoundf("known error %s not found", ident.KnownError.Format(id))
	}
	if err != nil {
		return k, errf(err, "get known error")
	}
	return k, errf(loadOutcomes(ctx, q, []*knownerror.KnownError{&k}, []int64{id}), "get known error")
}

// loadOutcomes fills the outcome logs of ks (ids in the same order), oldest first.
func loadOutcomes(ctx context.Context, q querier, ks []*knownerror.KnownError, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	byID := make(map[int64]*knownerror.KnownError, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		byID[id], args[i] = ks[i], id
	}
	rows, err := q.QueryContext(ctx, `SELECT known_error_id, release_id, deployment_id, outcome, note, at FROM known_error_outcomes
		WHERE known_error_id IN (`+placeholders(1, len(ids))+`) ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var rel, dep sql.NullInt64
		var o knownerror.Outcome
		if err := rows.Scan(&id, &rel, &dep, &o.Outcome, &o.Note, timeCol{&o.At}); err != nil {
			return err
		}
		if rel.Valid {
			o.Release = ident.Release.Format(rel.Int64)
		}
		if dep.Valid {
			o.Deployment = ident.Deployment.Format(dep.Int64)
		}
		byID[id].Outcomes = append(byID[id].Outcomes, o)
	}
	return rows.Err()
}

// KnownErrorFilter selects known errors; zero fields do not filter. Q
// matches title, symptoms or workaround case-insensitively (ASCII case on
// SQLite); every label in Labels must be carried exactly.
type KnownErrorFilter struct {
	Status  string
	Problem int64
	Q       string
	Labels  labels.Set
	Page
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// ListKnownErrors returns known errors with their outcomes in id order
// after f.After, at most f.Limit. With labels, the first label's rows
// drive the page in id order (a join) and the others are checked on each
// row; Q is checked on each row read (a miss reads the whole catalogue:
// bench/README.md, session 8, measures it).
func (s *Store) ListKnownErrors(ctx context.Context, f KnownErrorFilter) ([]knownerror.KnownError, error) {
	f.Page = f.Page.Norm()
	var w filter
	from, key := "", "id"
	for i, n := range f.Labels.Names() {
		if i == 0 { // the first label's rows in known error order (known_error_labels_pair_ke): a page never reads all of them
			from, key = ` JOIN known_error_labels l ON l.known_error_id = id`, "l.known_error_id"
			w.add("l.name = ?", n)
			w.add("l.value = ?", f.Labels[n])
			continue
		}
		pn, pv := w.next(n), w.next(f.Labels[n]) // per row, through the primary key (known_error_id, name)
		w.conds = append(w.conds, `EXISTS (SELECT 1 FROM known_error_labels x WHERE x.known_error_id = known_errors.id AND x.name = `+
			pn+` AND x.value = `+pv+`)`)
	}
	w.add(key+" > ?", f.After)
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Problem != 0 {
		w.add("problem_id = ?", f.Problem)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		p := w.next("%" + likeEscaper.Replace(strings.ToLower(q)) + "%")
		w.conds = append(w.conds, `(LOWER(title) LIKE `+p+` ESCAPE '\' OR LOWER(symptoms) LIKE `+p+` ESCAPE '\' OR LOWER(workaround) LIKE `+p+` ESCAPE '\')`)
	}
	q := `SELECT ` + knownErrorCols + ` FROM known_errors` + from + w.where() + ` ORDER BY ` + key + ` LIMIT ` + w.next(f.Limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, errf(err, "list known errors")
	}
	defer rows.Close()
	out := []knownerror.KnownError{}
	var ids []int64
	for rows.Next() {
		k, id, err := scanKnownError(rows)
		if err != nil {
			return nil, errf(err, "scan known error")
		}
		out, ids = append(out, k), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, errf(err, "list known errors")
	}
	rows.Close()
	ptrs := make([]*knownerror.KnownError, len(out))
	for i := range out {
		ptrs[i] = &out[i]
	}
	return out, errf(loadOutcomes(ctx, s.db, ptrs, ids), "list known errors")
}

// KnownErrorContext is what a known error mutation may consult besides the record.
type KnownErrorContext = IncidentContext

// UpdateKnownError loads the known error inside a write transaction,
// checks ifRev (0 skips), applies fn (the domain rule), validates and saves
// it with its audit event under action. fn may append one outcome with
// AddOutcome; it is stored too. Returns NotFound, PreconditionFailed on a
// stale revision, Invalid naming the field, or fn's error; nothing is
// written on error.
func (s *Store) UpdateKnownError(ctx context.Context, a audit.Actor, id, ifRev int64, action string,
	fn func(k *knownerror.KnownError, c KnownErrorContext) error) (knownerror.KnownError, error) {
	var k knownerror.KnownError
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := getKnownError(ctx, tx.tx, id, tx.forUpdate())
		if err != nil {
			return err
		}
		if err := checkRev("known error "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		k = before
		k.Labels = before.Labels.Clone()
		k.Outcomes = append([]knownerror.Outcome{}, before.Outcomes...)
		if err := fn(&k, KnownErrorContext{Now: tx.now}); err != nil {
			return err
		}
		if err := k.Validate(); err != nil {
			return err
		}
		if k.Status != before.Status {
			if err := knownerror.Machine.Check(before.Status, k.Status); err != nil {
				return err
			}
		}
		if err := tx.requireRecord(ctx, "problem", "problems", ident.Problem, k.Problem); err != nil {
			return err
		}
		added, err := tx.addOutcomes(ctx, id, before.Outcomes, k.Outcomes)
		if err != nil {
			return err
		}
		k.ID, k.CreatedBy, k.CreatedAt = before.ID, before.CreatedBy, before.CreatedAt
		k.Revision, k.UpdatedAt = before.Revision+1, tx.now
		if err := tx.updateRev(ctx, "known error "+before.ID, before.Revision, `UPDATE known_errors SET problem_id = $1, title = $2,
			symptoms = $3, root_cause = $4, workaround = $5, status = $6, labels = $7, rev = $8, updated_at = $9 WHERE id = $10 AND rev = $11`,
			idArg(ident.Problem, k.Problem), k.Title, k.Symptoms, k.RootCause, k.Workaround, k.Status, jsonText(k.Labels),
			k.Revision, ts(k.UpdatedAt), id, before.Revision); err != nil {
			return err
		}
		if err := tx.setKnownErrorLabels(ctx, id, k.Labels); err != nil {
			return err
		}
		if len(added) > 0 { // the event records the appended outcome, not the whole log again
			return tx.auditEvent(ctx, action, "known_error", k.ID, k.Revision, nil, map[string]any{"outcome": added[0]})
		}
		return tx.auditEvent(ctx, action, "known_error", k.ID, k.Revision, withoutOutcomes(before), withoutOutcomes(k))
	})
	return k, err
}

func withoutOutcomes(k knownerror.KnownError) knownerror.KnownError {
	k.Outcomes = nil
	return k
}

// addOutcomes stores the outcomes appended after the old log. The log is
// append-only: fn may not rewrite earlier entries. Releases and deployments
// named must exist (Invalid naming "release" or "deployment").
func (tx *Tx) addOutcomes(ctx context.Context, id int64, old, now []knownerror.Outcome) ([]knownerror.Outcome, error) {
	if len(now) < len(old) || len(now) > len(old)+1 {
		return nil, fault.Conflictf("the outcome log is append-only, one outcome at a time")
	}
	for i := range old {
		if old[i] != now[i] {
			return nil, fault.Conflictf("the outcome log is append-only; earlier outcomes cannot change")
		}
	}
	added := now[len(old):]
	for _, o := range added {
		if err := tx.requireRecord(ctx, "release", "releases", ident.Release, o.Release); err != nil {
			return nil, err
		}
		if err := tx.requireRecord(ctx, "deployment", "deployments", ident.Deployment, o.Deployment); err != nil {
			return nil, err
		}
		if _, err := tx.exec(ctx, `INSERT INTO known_error_outcomes (known_error_id, release_id, deployment_id, outcome, note, at)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, idArg(ident.Release, o.Release), idArg(ident.Deployment, o.Deployment),
			o.Outcome, o.Note, ts(o.At)); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// AddKnownErrorOutcome appends the outcome of a fix attempt to the known
// error's log (audited as known_error.outcome), guarded by ifRev (0 skips).
func (s *Store) AddKnownErrorOutcome(ctx context.Context, a audit.Actor, id, ifRev int64, o knownerror.Outcome) (knownerror.KnownError, error) {
	return s.UpdateKnownError(ctx, a, id, ifRev, "known_error.outcome", func(k *knownerror.KnownError, c KnownErrorContext) error {
		_, err := k.AddOutcome(o, c.Now)
		return err
	})
}

package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/problem"
)

// RCAValidation is one validation of a problem's root cause analysis: who,
// in which role, about which revision of the problem, when, and why.
type RCAValidation struct {
	ID        int64     `json:"id"`
	Problem   string    `json:"problem"`
	Revision  int64     `json:"problem_revision"` // the revision the validation produced
	Validator string    `json:"validator"`
	Role      string    `json:"role"`
	Comment   string    `json:"comment"`
	At        time.Time `json:"at"`
	// WithdrawnAt is set when a recurrence, a new RCA or a reopening
	// withdrew the validation; WithdrawnReason says which.
	WithdrawnAt     *time.Time `json:"withdrawn_at,omitempty"`
	WithdrawnReason string     `json:"withdrawn_reason,omitempty"`
}

// MaxValidationComment bounds a validation comment.
const MaxValidationComment = 4000

// ValidateRCA records that a.User (acting as a.Role) validated problem id's
// current RCA, with comment, in one transaction: the problem through its
// domain rule (problem.ValidateRCA: the author is refused) and its
// problem.validate_rca audit event, then the validation row and its own
// audit event (rca.validation on record rca_validation "PRB-n#id", after =
// the row, comment included). ifRev
// (0: no check) must be the problem's current revision. Nothing is written
// on error.
func (s *Store) ValidateRCA(ctx context.Context, a audit.Actor, id, ifRev int64, comment string) (problem.Problem, RCAValidation, error) {
	comment = strings.TrimSpace(comment)
	v := RCAValidation{Problem: ident.Problem.Format(id), Validator: a.User, Role: a.Role, Comment: comment}
	if len(comment) > MaxValidationComment {
		return problem.Problem{}, v, fault.Field("comment", "is longer than %d characters", MaxValidationComment)
	}
	var p problem.Problem
	err := s.write(ctx, a, func(tx *Tx) error {
		before, err := tx.getProblem(ctx, id)
		if err != nil {
			return err
		}
		if err := checkRev("problem "+before.ID, before.Revision, ifRev); err != nil {
			return err
		}
		p = before
		if err := p.ValidateRCA(a.User, tx.now); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return err
		}
		p.Revision, p.UpdatedAt = before.Revision+1, tx.now
		if err := tx.saveProblem(ctx, id, &p); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "problem.validate_rca", "problem", p.ID, p.Revision, before, p); err != nil {
			return err
		}
		v.Revision, v.At = p.Revision, tx.now
		if err := tx.queryRow(ctx, `INSERT INTO rca_validations (problem_id, problem_rev, validator, role, comment, at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, id, v.Revision, v.Validator, v.Role, v.Comment, ts(v.At)).Scan(&v.ID); err != nil {
			return err
		}
		return tx.auditEvent(ctx, "rca.validation", "rca_validation", p.ID+"#"+strconv.FormatInt(v.ID, 10), 1, nil, v)
	})
	return p, v, err
}

// withdrawValidations marks the validations of problem id not yet
// withdrawn as withdrawn now for reason, each with its rca.withdraw audit
// event (revision 2 of the validation record). The rows are kept: they are
// the validation history. Callers run it when a change of the problem
// dropped its RCA's validation (see withdrawnBy).
func (tx *Tx) withdrawValidations(ctx context.Context, id int64, reason string) error {
	rows, err := tx.query(ctx, `SELECT id, problem_rev, validator, role, comment, at FROM rca_validations
		WHERE problem_id = $1 AND withdrawn_at IS NULL ORDER BY id`, id)
	if err != nil {
		return err
	}
	var vs []RCAValidation
	for rows.Next() {
		v := RCAValidation{Problem: ident.Problem.Format(id)}
		if err := rows.Scan(&v.ID, &v.Revision, &v.Validator, &v.Role, &v.Comment, timeCol{&v.At}); err != nil {
			rows.Close()
			return err
		}
		vs = append(vs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, before := range vs {
		v := before
		v.WithdrawnAt, v.WithdrawnReason = &tx.now, reason
		if _, err := tx.exec(ctx, `UPDATE rca_validations SET withdrawn_at = $1, withdrawn_reason = $2 WHERE id = $3 AND withdrawn_at IS NULL`,
			ts(tx.now), reason, v.ID); err != nil {
			return err
		}
		if err := tx.auditEvent(ctx, "rca.withdraw", "rca_validation", v.Problem+"#"+strconv.FormatInt(v.ID, 10), 2, before, v); err != nil {
			return err
		}
	}
	return nil
}

// withdrawnBy returns why a change from before to after withdrew the RCA's
// validation, or "" when it did not.
func withdrawnBy(before, after problem.Problem) string {
	switch {
	case !before.RCA.Validated() || after.RCA.Validated():
		return ""
	case before.Status == problem.Resolved && after.Status == problem.FixInProgress:
		return "recurrence: the problem was reopened"
	case after.RCA.RecordedAt != nil && (before.RCA.RecordedAt == nil || !after.RCA.RecordedAt.Equal(*before.RCA.RecordedAt)):
		return "a new root cause analysis was recorded"
	default:
		return "the validation was withdrawn"
	}
}

// RCAValidations returns the validations of problem id, oldest first,
// withdrawn ones included.
func (s *Store) RCAValidations(ctx context.Context, id int64) ([]RCAValidation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, problem_rev, validator, role, comment, at, withdrawn_at, withdrawn_reason
		FROM rca_validations WHERE problem_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, errf(err, "list RCA validations")
	}
	defer rows.Close()
	out := []RCAValidation{}
	for rows.Next() {
		v := RCAValidation{Problem: ident.Problem.Format(id)}
		if err := rows.Scan(&v.ID, &v.Revision, &v.Validator, &v.Role, &v.Comment, timeCol{&v.At}, nullTimeCol{&v.WithdrawnAt},
			&v.WithdrawnReason); err != nil {
			return nil, errf(err, "scan RCA validation")
		}
		out = append(out, v)
	}
	return out, errf(rows.Err(), "list RCA validations")
}

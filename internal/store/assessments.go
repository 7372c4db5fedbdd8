package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/control"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
)

// Assessment is a stored control assessment: every control's result over
// a period as it was found when assessed.
type Assessment struct {
	ID        string           `json:"id"` // ASSESS-n
	Period    control.Period   `json:"period"`
	Passed    bool             `json:"passed"`
	Results   []control.Result `json:"results"`
	CreatedBy string           `json:"created_by"`
	CreatedAt time.Time        `json:"created_at"`
}

// Exceptions returns the number of exceptions over all controls.
func (a Assessment) Exceptions() int {
	n := 0
	for _, r := range a.Results {
		n += len(r.Exceptions)
	}
	return n
}

// AssessControls reads the facts of period p (ControlFacts), decides every
// control (control.Assess) and stores the assessment as ASSESS-n with its
// audit event (assessment.create, carrying the results). The facts are
// read before the write transaction: an assessment is a report, and the
// audit verification it includes reads the whole chain.
func (s *Store) AssessControls(ctx context.Context, actor audit.Actor, p control.Period) (Assessment, error) {
	f, err := s.ControlFacts(ctx, p)
	if err != nil {
		return Assessment{}, err
	}
	a := Assessment{Period: p, Results: control.Assess(f), Passed: true}
	for _, r := range a.Results {
		a.Passed = a.Passed && r.Passed
	}
	err = s.write(ctx, actor, func(tx *Tx) error {
		a.CreatedBy, a.CreatedAt = actor.User, tx.now
		id, err := tx.insertID(ctx, `INSERT INTO assessments (period, period_from, period_to, passed, results, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, p.Name, ts(p.From), ts(p.To), a.Passed, jsonText(a.Results), a.CreatedBy, ts(a.CreatedAt))
		if err != nil {
			return err
		}
		a.ID = ident.Assessment.Format(id)
		return tx.auditEvent(ctx, "assessment.create", "assessment", a.ID, 1, nil, a)
	})
	return a, err
}

const assessmentCols = `id, period, period_from, period_to, passed, results, created_by, created_at`

func scanAssessment(sc interface{ Scan(...any) error }) (Assessment, error) {
	var a Assessment
	var id int64
	err := sc.Scan(&id, &a.Period.Name, timeCol{&a.Period.From}, timeCol{&a.Period.To}, &a.Passed, jsonCol{&a.Results},
		&a.CreatedBy, timeCol{&a.CreatedAt})
	a.ID = ident.Assessment.Format(id)
	if a.Results == nil {
		a.Results = []control.Result{}
	}
	return a, err
}

// GetAssessment returns ASSESS-id. Returns NotFound if there is none.
func (s *Store) GetAssessment(ctx context.Context, id int64) (Assessment, error) {
	a, err := scanAssessment(s.db.QueryRowContext(ctx, `SELECT `+assessmentCols+` FROM assessments WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fault.NotFoundf("assessment %s not found", ident.Assessment.Format(id))
	}
	return a, errf(err, "get assessment")
}

// ListAssessments returns the newest assessments first, of one period when
// period is not "", at most limit (1..500; 50 when 0).
func (s *Store) ListAssessments(ctx context.Context, period string, limit int) ([]Assessment, error) {
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		return nil, fault.Field("limit", "must be at most 500, got %d", limit)
	}
	q, args := `SELECT `+assessmentCols+` FROM assessments ORDER BY id DESC LIMIT $1`, []any{limit}
	if period != "" {
		q, args = `SELECT `+assessmentCols+` FROM assessments WHERE period = $1 ORDER BY id DESC LIMIT $2`, []any{period, limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, errf(err, "list assessments")
	}
	defer rows.Close()
	out := []Assessment{}
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, errf(err, "list assessments")
		}
		out = append(out, a)
	}
	return out, errf(rows.Err(), "list assessments")
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

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

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"fixgate/internal/fault"
	"fixgate/internal/gate"
	"fixgate/internal/ident"
)

// GateEvaluation is one stored gate evaluation: the verdict, what it was
// about, the revisions of the records it read and the policy it ran with.
type GateEvaluation struct {
	ID             string       `json:"id"`
	Release        string       `json:"release"`
	Environment    string       `json:"environment"`
	At             time.Time    `json:"at"`
	Decision       string       `json:"decision"`
	RiskClass      string       `json:"risk_class"`
	Verdict        gate.Verdict `json:"verdict"`
	InputRevisions Revisions    `json:"input_revisions"`
	// PolicyVersion is the stored policy version (0: the built-in default).
	PolicyVersion int64  `json:"policy_version"`
	PolicyHash    string `json:"policy_hash"`
	// InputDigest is the SHA-256 of the canonical input revisions, which
	// are stored once per distinct set ("" on evaluations before it).
	InputDigest   string    `json:"input_digest"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	verdictDigest string    // SHA-256 of EncodeVerdict(Verdict), set when stored
}

// Revisions maps each record an evaluation read (REL-n, CMP-n, env:name,
// …) to the revision it read. It encodes exactly as encoding/json encodes
// a map[string]int64 (keys sorted, HTML characters escaped), the canonical
// form its digest is taken of, without reflection: an evaluation of a
// release reaching 200 CIs carries some 200 of them, and sorting them by
// reflection was most of the JSON work of an evaluation (bench/README.md,
// session 7).
type Revisions map[string]int64

// MarshalJSON returns r as a JSON object, keys sorted; null when r is nil.
func (r Revisions) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("null"), nil
	}
	keys := slices.Sorted(maps.Keys(r))
	b := make([]byte, 0, 2+24*len(keys))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONKey(b, k)
		b = append(b, ':')
		b = strconv.AppendInt(b, r[k], 10)
	}
	return append(b, '}'), nil
}

// appendJSONKey appends k as encoding/json writes a string: as is when
// every byte is printable ASCII that needs no escape, else through
// encoding/json itself.
func appendJSONKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(k)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"')
}

// storedVerdict is a verdict as stored: without its two times, which the
// evaluation row holds (at, evaluated_at), so that every evaluation giving
// the same answer shares one gate_verdicts row.
type storedVerdict struct {
	Decision      string        `json:"decision"`
	RiskClass     string        `json:"risk_class"`
	Rules         []gate.Result `json:"rules"`
	PolicyVersion int           `json:"policy_version"`
	PolicyHash    string        `json:"policy_hash"`
}

// EncodeVerdict returns the stored form of v: its JSON without at and
// evaluated_at. Its SHA-256 is the evaluation's verdict digest.
func EncodeVerdict(v gate.Verdict) ([]byte, error) {
	return json.Marshal(storedVerdict{Decision: v.Decision, RiskClass: v.RiskClass, Rules: v.Rules,
		PolicyVersion: v.PolicyVersion, PolicyHash: v.PolicyHash})
}

// gateEvalCols reads an evaluation with its verdict and input revisions,
// from the shared gate_verdicts and gate_inputs rows when it has digests.
const gateEvalCols = `e.id, e.release_id, e.env, e.at, e.decision, e.risk_class, COALESCE(gv.verdict, e.verdict),
	COALESCE(gi.revisions, e.input_revisions), e.policy_version, e.policy_hash, e.input_digest, e.created_by, e.created_at,
	e.evaluated_at`

const gateEvalFrom = ` FROM gate_evaluations e LEFT JOIN gate_inputs gi ON gi.digest = e.input_digest
	LEFT JOIN gate_verdicts gv ON gv.digest = e.verdict_digest`

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
	var evaluated *time.Time
	err := sc.Scan(&id, &rel, &e.Environment, timeCol{&e.At}, &e.Decision, &e.RiskClass, jsonCol{&e.Verdict},
		jsonCol{&e.InputRevisions}, &e.PolicyVersion, &e.PolicyHash, &e.InputDigest, &e.CreatedBy, timeCol{&e.CreatedAt},
		nullTimeCol{&evaluated})
	e.ID, e.Release = ident.Gate.Format(id), ident.Release.Format(rel)
	if evaluated != nil { // a verdict stored by digest, without its times
		e.Verdict.At, e.Verdict.EvaluatedAt = e.At, *evaluated
	}
	if e.InputRevisions == nil {
		e.InputRevisions = Revisions{}
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

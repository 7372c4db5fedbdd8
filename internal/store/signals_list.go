package store

import (
	"context"
	"database/sql"
	"time"

	"fixgate/internal/ident"
	"fixgate/internal/signal"
)

// SignalOut is one stored signal.
type SignalOut struct {
	ID          int64             `json:"id"`
	Status      string            `json:"status"`
	Fingerprint string            `json:"fingerprint"`
	Labels      map[string]string `json:"labels"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      *time.Time        `json:"ends_at,omitempty"`
	ReceivedAt  time.Time         `json:"received_at"`
	Env         string            `json:"env"`
	CI          string            `json:"ci"`
	Incident    string            `json:"incident,omitempty"`
	Problem     string            `json:"problem,omitempty"`
	Signature   string            `json:"signature,omitempty"`
	Decision    string            `json:"decision,omitempty"`
	Deployments []signal.Verdict  `json:"deployments"`
}

// SignalFilter selects signals; zero fields do not filter.
type SignalFilter struct {
	Problem     int64
	Fingerprint string
	Page
}

// ListSignals returns signals in id order after f.After, at most f.Limit.
func (s *Store) ListSignals(ctx context.Context, f SignalFilter) ([]SignalOut, error) {
	f.Page = f.Page.Norm()
	var w filter
	w.add("id > ?", f.After)
	if f.Problem != 0 {
		w.add("problem_id = ?", f.Problem)
	}
	if f.Fingerprint != "" {
		w.add("fingerprint = ?", f.Fingerprint)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, status, fingerprint, labels, starts_at, ends_at, received_at, env, ci,
		incident_id, problem_id, signature_id, decision, deployments FROM signals`+w.where()+` ORDER BY id LIMIT `+w.next(f.Limit), w.args...)
	if err != nil {
		return nil, errf(err, "list signals")
	}
	defer rows.Close()
	out := []SignalOut{}
	for rows.Next() {
		var g SignalOut
		var inc, prb, sig sql.NullInt64
		if err := rows.Scan(&g.ID, &g.Status, &g.Fingerprint, jsonCol{&g.Labels}, timeCol{&g.StartsAt}, nullTimeCol{&g.EndsAt},
			timeCol{&g.ReceivedAt}, &g.Env, &g.CI, &inc, &prb, &sig, &g.Decision, jsonCol{&g.Deployments}); err != nil {
			return nil, errf(err, "scan signal")
		}
		g.Incident, g.Problem, g.Signature = fmtRef(ident.Incident, inc), fmtRef(ident.Problem, prb), fmtRef(ident.Signature, sig)
		if g.Labels == nil {
			g.Labels = map[string]string{}
		}
		if g.Deployments == nil {
			g.Deployments = []signal.Verdict{}
		}
		out = append(out, g)
	}
	return out, errf(rows.Err(), "list signals")
}

func fmtRef(k ident.Kind, n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return k.Format(n.Int64)
}

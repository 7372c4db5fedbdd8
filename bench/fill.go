package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/environment"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// benchFill loads problems, releases and incidents through fixgate's batch
// paths (validation, references, one audit event per record) into one fresh
// database, and the same rows through raw multi-row INSERTs (no audit) into
// another fresh database with the same schema, and reports both rates.
func benchFill(ctx context.Context, c config) error {
	nInc, nPrb, nRel := int(1_000_000*c.scale), int(50_000*c.scale), int(10_000*c.scale)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Printf("\n[fill] %d incidents, %d problems, %d releases on %s\n", nInc, nPrb, nRel, dbLabel(c.db))

	st, done, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer done()
	if err := fillRefs(ctx, st); err != nil {
		return err
	}
	a := audit.System("bench")
	t0 := time.Now()
	for i := 0; i < nPrb; i += 1000 {
		batch := make([]problem.Problem, 0, 1000)
		for j := i; j < min(i+1000, nPrb); j++ {
			batch = append(batch, problem.Problem{Title: fmt.Sprint("problem ", j), Priority: 1 + j%4, CIs: []string{"checkout-api"}})
		}
		if _, err := st.CreateProblems(ctx, a, batch); err != nil {
			return err
		}
	}
	prbTime := time.Since(t0)
	t0 = time.Now()
	for i := 0; i < nRel; i += 1000 {
		batch := make([]release.Release, 0, 1000)
		for j := i; j < min(i+1000, nRel); j++ {
			batch = append(batch, release.Release{Version: fmt.Sprintf("1.%d.%d", j/100, j%100), Type: release.ProblemFix,
				Resolves: []string{fmt.Sprint("PRB-", 1+j%max(nPrb, 1))}})
		}
		if _, err := st.CreateReleases(ctx, a, batch); err != nil {
			return err
		}
	}
	relTime := time.Since(t0)
	t0 = time.Now()
	const chunk = 5000
	for i := 0; i < nInc; i += chunk {
		rows := make([]incident.Incident, 0, chunk)
		for j := i; j < min(i+chunk, nInc); j++ {
			rows = append(rows, benchIncident(j, at))
		}
		_, _, _, bad, err := st.ImportIncidents(ctx, a, rows)
		if err != nil {
			return err
		}
		if len(bad) > 0 {
			for k, e := range bad {
				return fmt.Errorf("import row %d: %v", k, e)
			}
		}
	}
	incTime := time.Since(t0)

	base := map[bool][3]time.Duration{}
	for _, withAudit := range []bool{true, false} {
		raw, rawDone, err := openFresh(ctx, c.db)
		if err != nil {
			return err
		}
		if err := fillRefs(ctx, raw); err != nil {
			rawDone()
			return err
		}
		p, r, i, err := rawFill(ctx, raw.DB(), raw.Dialect() == store.SQLite, withAudit, nInc, nPrb, nRel, at)
		rawDone()
		if err != nil {
			return err
		}
		base[withAudit] = [3]time.Duration{p, r, i}
	}
	report := func(what string, n int, ours time.Duration, i int) {
		rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
		withA, without := base[true], base[false]
		wa, wo := withA[0]+withA[1]+withA[2], without[0]+without[1]+without[2]
		if i < 3 {
			wa, wo = withA[i], without[i]
		}
		fmt.Printf("  %-10s fixgate %8.0f rows/s | raw with audit rows %8.0f rows/s, ratio %.2f | raw records only %8.0f rows/s, ratio %.2f\n",
			what, rate(ours), rate(wa), rate(ours)/rate(wa), rate(wo), rate(ours)/rate(wo))
	}
	report("problems", nPrb, prbTime, 0)
	report("releases", nRel, relTime, 1)
	report("incidents", nInc, incTime, 2)
	report("all", nInc+nPrb+nRel, prbTime+relTime+incTime, 3)
	fmt.Println("  (goal: ratio >= 0.5 against a raw INSERT of the same rows, i.e. the records and their audit rows)")
	n, b, err := st.VerifyAudit(ctx)
	if err != nil || b != nil {
		return fmt.Errorf("audit chain after fill: %v %v", b, err)
	}
	fmt.Printf("  audit chain verified: %d events\n", n)
	return nil
}

func benchIncident(j int, at time.Time) incident.Incident {
	return incident.Incident{ExternalID: fmt.Sprint("EXT-", j), Title: "checkout latency above SLO", CI: "checkout-api", Env: "prod-eu",
		Severity: 1 + j%4, Labels: labels.Set{"alertname": "HighLatency", "service": "checkout"}, OpenedAt: at.Add(time.Duration(j) * time.Second)}
}

func fillRefs(ctx context.Context, st *store.Store) error {
	a := audit.System("bench")
	if _, err := st.CreateCI(ctx, a, ci.CI{Name: "checkout-api", Kind: "service"}); err != nil {
		return err
	}
	_, err := st.CreateEnvironment(ctx, a, environment.Environment{Name: "prod-eu", Tier: environment.Production})
	return err
}

// rawFill inserts the same rows with plain batched INSERTs, 5000 rows per
// transaction and no validation; withAudit adds one precomputed audit row
// per record (no hashing, no JSON encoding), as fixgate writes one.
func rawFill(ctx context.Context, db *sql.DB, sqlite, withAudit bool, nInc, nPrb, nRel int, at time.Time) (prb, rel, inc time.Duration, err error) {
	now := at.Format(audit.TimeFormat)
	t0 := time.Now()
	err = rawInsert(ctx, db, sqlite, nPrb, `INSERT INTO problems (title, description, status, priority, owner, workaround, rev, created_by, created_at, updated_at) VALUES `, 10,
		func(j int) []any {
			return []any{fmt.Sprint("problem ", j), "", "new", 1 + j%4, "", "", 1, "system", now, now}
		})
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nPrb, `INSERT INTO problem_cis (problem_id, ci) VALUES `, 2, func(j int) []any { return []any{j + 1, "checkout-api"} })
	}
	if err == nil && withAudit {
		err = rawAudit(ctx, db, sqlite, nPrb, 0, "problem", `{"id":"PRB-%d","title":"problem","status":"new","priority":1,"cis":["checkout-api"]}`, now)
	}
	prb = time.Since(t0)
	t0 = time.Now()
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nRel, `INSERT INTO releases (version, type, status, title, notes, rev, created_by, created_at, updated_at) VALUES `, 9,
			func(j int) []any {
				return []any{fmt.Sprintf("1.%d.%d", j/100, j%100), "problem-fix", "planned", "", "", 1, "system", now, now}
			})
	}
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nRel, `INSERT INTO release_problems (release_id, problem_id) VALUES `, 2, func(j int) []any { return []any{j + 1, 1 + j%max(nPrb, 1)} })
	}
	if err == nil && withAudit {
		err = rawAudit(ctx, db, sqlite, nRel, nPrb, "release", `{"id":"REL-%d","version":"1.0.0","type":"problem-fix","status":"planned"}`, now)
	}
	rel = time.Since(t0)
	t0 = time.Now()
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nInc, `INSERT INTO incidents (external_id, title, source, ci, env, severity, status, labels, fingerprint, opened_at, rev, created_by, created_at, updated_at) VALUES `, 14,
			func(j int) []any {
				return []any{fmt.Sprint("EXT-", j), "checkout latency above SLO", "import", "checkout-api", "prod-eu", 1 + j%4, "open",
					`{"alertname":"HighLatency","service":"checkout"}`, "", at.Add(time.Duration(j) * time.Second).Format(audit.TimeFormat), 1, "system", now, now}
			})
	}
	if err == nil && withAudit {
		err = rawAudit(ctx, db, sqlite, nInc, nPrb+nRel, "incident",
			`{"id":"INC-%d","external_id":"EXT-1","title":"checkout latency above SLO","source":"import","ci":"checkout-api","env":"prod-eu","severity":2,"status":"open","labels":{"alertname":"HighLatency","service":"checkout"}}`, now)
	}
	inc = time.Since(t0)
	return prb, rel, inc, err
}

// rawInsert writes n rows as fast as plain SQL allows on each database,
// 5000 rows per transaction: multi-row INSERTs of 500 rows on PostgreSQL,
// one prepared single-row INSERT reused on SQLite (faster there, see
// internal/store/tx.go).
func rawInsert(ctx context.Context, db *sql.DB, sqlite bool, n int, head string, cols int, row func(int) []any) error {
	const perTx = 5000
	perStmt := 500
	if sqlite {
		perStmt = 1
	}
	for start := 0; start < n; start += perTx {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var single *sql.Stmt
		if sqlite {
			if single, err = tx.PrepareContext(ctx, head+"("+ph(1, cols)+")"); err != nil {
				tx.Rollback()
				return err
			}
		}
		for s := start; s < min(start+perTx, n); s += perStmt {
			if single != nil {
				_, err = single.ExecContext(ctx, row(s)...)
			} else {
				var b strings.Builder
				b.WriteString(head)
				var args []any
				for j := s; j < min(s+perStmt, start+perTx, n); j++ {
					if j > s {
						b.WriteString(", ")
					}
					b.WriteString("(" + ph(len(args)+1, cols) + ")")
					args = append(args, row(j)...)
				}
				_, err = tx.ExecContext(ctx, b.String(), args...)
			}
			if err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func ph(start, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("$%d", start+i)
	}
	return strings.Join(parts, ", ")
}

// rawAudit inserts n audit rows after seq offset, with fixed-size hashes.
func rawAudit(ctx context.Context, db *sql.DB, sqlite bool, n, offset int, kind, after, now string) error {
	hash := strings.Repeat("ab", 32)
	return rawInsert(ctx, db, sqlite, n, `INSERT INTO audit_events (seq, at, actor, role, action, record_type, record_id, record_rev,
		before_json, after_json, request_id, prev_hash, hash) VALUES `, 13, func(j int) []any {
		return []any{100 + offset + j + 1, now, "system", "system", kind + ".create", kind, fmt.Sprint(j + 1), 1, "", fmt.Sprintf(after, j+1), "bench", hash, hash}
	})
}

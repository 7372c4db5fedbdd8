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

	raw, rawDone, err := openFresh(ctx, c.db)
	if err != nil {
		return err
	}
	defer rawDone()
	if err := fillRefs(ctx, raw); err != nil {
		return err
	}
	rawPrb, rawRel, rawInc, err := rawFill(ctx, raw.DB(), raw.Dialect() == store.SQLite, nInc, nPrb, nRel, at)
	if err != nil {
		return err
	}
	report := func(what string, n int, ours, base time.Duration) {
		r1, r2 := float64(n)/ours.Seconds(), float64(n)/base.Seconds()
		fmt.Printf("  %-10s fixgate %9.0f rows/s   raw INSERT %9.0f rows/s   ratio %.2f\n", what, r1, r2, r1/r2)
	}
	report("problems", nPrb, prbTime, rawPrb)
	report("releases", nRel, relTime, rawRel)
	report("incidents", nInc, incTime, rawInc)
	report("all", nInc+nPrb+nRel, prbTime+relTime+incTime, rawPrb+rawRel+rawInc)
	fmt.Println("  (goal: ratio >= 0.5; fixgate also writes one hash-chained audit event per row)")
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

// rawFill inserts the same rows with multi-row INSERTs of 500 rows, 5000
// rows per transaction, no validation and no audit.
func rawFill(ctx context.Context, db *sql.DB, sqlite bool, nInc, nPrb, nRel int, at time.Time) (prb, rel, inc time.Duration, err error) {
	now := at.Format(audit.TimeFormat)
	t0 := time.Now()
	err = rawInsert(ctx, db, sqlite, nPrb, `INSERT INTO problems (title, description, status, priority, owner, workaround, rev, created_by, created_at, updated_at) VALUES `, 10,
		func(j int) []any {
			return []any{fmt.Sprint("problem ", j), "", "new", 1 + j%4, "", "", 1, "system", now, now}
		})
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nPrb, `INSERT INTO problem_cis (problem_id, ci) VALUES `, 2, func(j int) []any { return []any{j + 1, "checkout-api"} })
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
	rel = time.Since(t0)
	t0 = time.Now()
	if err == nil {
		err = rawInsert(ctx, db, sqlite, nInc, `INSERT INTO incidents (external_id, title, source, ci, env, severity, status, labels, fingerprint, opened_at, rev, created_by, created_at, updated_at) VALUES `, 14,
			func(j int) []any {
				return []any{fmt.Sprint("EXT-", j), "checkout latency above SLO", "import", "checkout-api", "prod-eu", 1 + j%4, "open",
					`{"alertname":"HighLatency","service":"checkout"}`, "", at.Add(time.Duration(j) * time.Second).Format(audit.TimeFormat), 1, "system", now, now}
			})
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

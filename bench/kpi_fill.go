package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fixgate/internal/audit"
	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/incident"
	"fixgate/internal/labels"
	"fixgate/internal/problem"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// The KPI dataset (-case kpi): kpiCIs CIs owned by kpiTeams teams,
// kpiEnvs production environments, problems, releases (6 in 10
// problem-fix, 3 feature, 1 mixed), each release deployed once into every
// environment, and incidents spread evenly over kpiSpan ending a day
// before the fill.
const (
	kpiCIs   = 20
	kpiTeams = 5
	kpiEnvs  = 10
	kpiSpan  = 340 * 24 * time.Hour
)

// kpiSizes are the record counts at -scale s: 1M incidents, 100k
// deployments, 50k problems at 1.
type kpiSizes struct{ incidents, deployments, problems, releases int }

func kpiSizesAt(scale float64) kpiSizes {
	n := kpiSizes{incidents: int(1_000_000 * scale), deployments: int(100_000 * scale), problems: int(50_000 * scale)}
	n.releases = max(n.deployments/kpiEnvs, 1)
	n.deployments = n.releases * kpiEnvs
	return n
}

// kpiTimes places the history: deployment id k (1-based) starts at
// start + (k−1)·dep, incident j opens at start + j·inc.
type kpiTimes struct {
	start    time.Time
	dep, inc time.Duration
}

func (t kpiTimes) depStart(k int) time.Time { return t.start.Add(time.Duration(k-1) * t.dep) }

// kpiFill fills st: the records through the audited store paths (batch
// ones where they exist: CreateProblems, CreateReleases, ImportIncidents;
// CreateDeployment one at a time, 8 callers), then the history only the
// rollout engine and many per-record steps would write (deployment
// outcomes and times, problem RCA validations, resolutions by deployment,
// closures and recurrences) directly, as gate-rate closes its history.
func kpiFill(ctx context.Context, st *store.Store, n kpiSizes) (kpiTimes, error) {
	a := audit.System("bench")
	now := st.Now()
	t := kpiTimes{start: now.Add(-kpiSpan - 24*time.Hour)}
	t.dep, t.inc = kpiSpan/time.Duration(n.deployments), kpiSpan/time.Duration(max(n.incidents, 1))
	steps := []struct {
		what string
		fn   func() error
	}{
		{"CIs, environments, components", func() error { return kpiRefs(ctx, st, a) }},
		{"problems (CreateProblems)", func() error { return kpiProblems(ctx, st, a, n) }},
		{"releases (CreateReleases)", func() error { return kpiReleases(ctx, st, a, n) }},
		{"deployments (CreateDeployment)", func() error { return kpiDeployments(ctx, st, n) }},
		{"deployment outcomes (UPDATE)", func() error { return kpiOutcomes(ctx, st, n, t) }},
		{"changes, analyses, reviews (INSERT)", func() error { return kpiPatternHistory(ctx, st, n, t) }},
		{"gate evaluations (INSERT)", func() error { return kpiGateHistory(ctx, st, n, t) }},
		{"problem history (UPDATE, INSERT)", func() error { return kpiProblemHistory(ctx, st, n, t) }},
		{"incidents (ImportIncidents)", func() error { return kpiIncidents(ctx, st, a, n, t) }},
	}
	for _, s := range steps {
		t0 := time.Now()
		if err := s.fn(); err != nil {
			return t, fmt.Errorf("%s: %w", s.what, err)
		}
		fmt.Printf("  filled %-36s in %s\n", s.what, time.Since(t0).Round(time.Millisecond))
	}
	return t, nil
}

func kpiCI(i int) string  { return fmt.Sprintf("svc-%02d", i%kpiCIs) }
func kpiEnv(i int) string { return fmt.Sprintf("prod-%02d", i%kpiEnvs) }

func kpiRefs(ctx context.Context, st *store.Store, a audit.Actor) error {
	for i := 0; i < kpiEnvs; i++ {
		if _, err := st.CreateEnvironment(ctx, a, environment.Environment{Name: kpiEnv(i), Tier: environment.Production}); err != nil {
			return err
		}
	}
	for i := 0; i < kpiCIs; i++ {
		if _, err := st.CreateCI(ctx, a, ci.CI{Name: kpiCI(i), Kind: "service", Owner: fmt.Sprintf("team-%d", i%kpiTeams)}); err != nil {
			return err
		}
		if _, err := st.CreateComponent(ctx, a, ci.Version{CI: kpiCI(i), Version: "1.0.0"}); err != nil {
			return err
		}
	}
	return nil
}

func kpiProblems(ctx context.Context, st *store.Store, a audit.Actor, n kpiSizes) error {
	for i := 0; i < n.problems; i += 1000 {
		ps := make([]problem.Problem, 0, 1000)
		for j := i; j < min(i+1000, n.problems); j++ {
			ps = append(ps, problem.Problem{Title: fmt.Sprint("problem ", j), Priority: 1 + j%4, CIs: []string{kpiCI(j)},
				Environments: []string{kpiEnv(j)}})
		}
		if _, err := st.CreateProblems(ctx, a, ps); err != nil {
			return err
		}
	}
	return nil
}

// kpiReleaseType is release j's type; problem-fix and mixed release j
// resolves problem j+1 (PRB-(j+1)) when there is one.
func kpiReleaseType(j int) string {
	switch j % 10 {
	case 6, 7, 8:
		return release.Feature
	case 9:
		return release.Mixed
	}
	return release.ProblemFix
}

func kpiReleases(ctx context.Context, st *store.Store, a audit.Actor, n kpiSizes) error {
	for i := 0; i < n.releases; i += 1000 {
		rs := make([]release.Release, 0, 1000)
		for j := i; j < min(i+1000, n.releases); j++ {
			r := release.Release{Version: fmt.Sprintf("2.%d.%d", j/1000, j%1000), Type: kpiReleaseType(j),
				Components: []string{kpiCI(j) + "@1.0.0"}}
			if r.Type != release.Feature && j < n.problems {
				r.Resolves = []string{fmt.Sprint("PRB-", j+1)}
			}
			if r.Type == release.ProblemFix && len(r.Resolves) == 0 {
				r.Type = release.Feature
			}
			rs = append(rs, r)
		}
		if _, err := st.CreateReleases(ctx, a, rs); err != nil {
			return err
		}
	}
	return nil
}

// kpiDeployments creates every release's deployment into every
// environment (pending), 8 callers at once.
func kpiDeployments(ctx context.Context, st *store.Store, n kpiSizes) error {
	rm := audit.Actor{User: "rm", Role: "release_manager", RequestID: "bench"}
	work := make(chan [2]int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for x := range work {
				_, err := st.CreateDeployment(ctx, rm, deploy.Deployment{Release: fmt.Sprint("REL-", x[0]+1), Env: kpiEnv(x[1]),
					Path: []deploy.Stage{{Name: "full", Weight: 100}}})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for r := 0; r < n.releases; r++ {
		for e := 0; e < kpiEnvs; e++ {
			select {
			case work <- [2]int{r, e}:
			case err = <-errs:
				break feed
			}
		}
	}
	close(work)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

// kpiOutcome is deployment k's end: 1 in 20 rolled back, 1 in 50 failed,
// 1 in 100 aborted, the others succeeded.
func kpiOutcome(k int) string {
	switch {
	case k%20 == 0:
		return deploy.RolledBack
	case k%50 == 1:
		return deploy.Failed
	case k%100 == 2:
		return deploy.Aborted
	}
	return deploy.Succeeded
}

// kpiOutcomes ends every deployment: started at its time, finished 20
// minutes later, watched for an hour when succeeded, failing evidence 10
// minutes in and the rollback done 7 minutes after it when rolled back.
func kpiOutcomes(ctx context.Context, st *store.Store, n kpiSizes, t kpiTimes) error {
	return batches(ctx, st, n.deployments, `UPDATE deployments SET status = $1, started_at = $2, finished_at = $3, watch_until = $4,
		first_failure_at = $5, rollback_done_at = $6, current_stage = 0 WHERE id = $7`, func(i int) []any {
		k := i + 1
		s := t.depStart(k)
		out := kpiOutcome(k)
		var watch, fail, done any
		switch out {
		case deploy.Succeeded:
			watch = bts(s.Add(80 * time.Minute))
		case deploy.RolledBack:
			fail, done = bts(s.Add(10*time.Minute)), bts(s.Add(17*time.Minute))
		case deploy.Failed:
			fail = bts(s.Add(10 * time.Minute))
		}
		return []any{out, bts(s), bts(s.Add(20 * time.Minute)), watch, fail, done, k}
	})
}

func bts(t time.Time) string { return t.UTC().Format(audit.TimeFormat) }

// batches runs q with args(i) for i in [0, n), 5000 per transaction; an
// i whose args are nil is skipped.
func batches(ctx context.Context, st *store.Store, n int, q string, args func(i int) []any) error {
	for i := 0; i < n; i += 5000 {
		tx, err := st.DB().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			tx.Rollback()
			return err
		}
		for j := i; j < min(i+5000, n); j++ {
			a := args(j)
			if a == nil {
				continue
			}
			if _, err := stmt.ExecContext(ctx, a...); err != nil {
				tx.Rollback()
				return fmt.Errorf("row %d: %w", j, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// kpiIncidents imports the incidents: opened evenly over the span, nine in
// ten resolved 1 minute to 8 hours later (spread to the second, so the
// time-to-resolve sample has ~29k distinct values, as real ones do); every 4th linked to a problem (with that
// problem's fingerprint), every 50th attributed to the deployment started
// just before it (within its watch).
func kpiIncidents(ctx context.Context, st *store.Store, a audit.Actor, n kpiSizes, t kpiTimes) error {
	const chunk = 5000
	for i := 0; i < n.incidents; i += chunk {
		rows := make([]incident.Incident, 0, chunk)
		for j := i; j < min(i+chunk, n.incidents); j++ {
			at := t.start.Add(time.Duration(j) * t.inc)
			in := incident.Incident{ExternalID: fmt.Sprint("K-", j), Title: "error rate above SLO", CI: kpiCI(j), Env: kpiEnv(j),
				Severity: 1 + j%4, Labels: labels.Set{"alertname": "ErrorRate"}, OpenedAt: at, Fingerprint: fmt.Sprint("fp-", j%20_000)}
			if j%10 != 0 {
				r := at.Add(time.Minute + time.Duration((j*7919)%28_800)*time.Second)
				in.ResolvedAt = &r
			}
			if j%4 == 0 && n.problems > 0 {
				p := 1 + (j/4)%n.problems
				in.Problem, in.Fingerprint = fmt.Sprint("PRB-", p), fmt.Sprint("fp-p", p)
			}
			if j%50 == 0 {
				if k := 1 + int(at.Sub(t.start)/t.dep); k <= n.deployments {
					in.Deployment = fmt.Sprint("DEP-", k)
				}
			}
			rows = append(rows, in)
		}
		if _, _, _, bad, err := st.ImportIncidents(ctx, a, rows); err != nil || len(bad) > 0 {
			return fmt.Errorf("import incidents: %v %v", err, bad)
		}
	}
	return nil
}

// kpiHist is one problem's history (nil times: not reached).
type kpiHist struct {
	created, validated, resolved, until, closed *time.Time
	dep, rel                                    int
}

// kpiProblemPlan returns the history of problem i+1. A problem resolved by
// its release (problem-fix or mixed release j resolves PRB-(j+1)) was
// opened 10 days before that release's first deployment (firstDep) started,
// its RCA validated a day after, resolved by that deployment when it
// finished, observed for 7 days, closed a day after when its number is
// even (and that is before now). Of the other problems, two in three have a
// validated RCA.
func kpiProblemPlan(n kpiSizes, t kpiTimes, firstDep map[int]int, now time.Time) func(i int) kpiHist {
	return func(i int) kpiHist {
		p := i + 1
		var h kpiHist
		c := t.start.Add(time.Duration(i) * (kpiSpan / time.Duration(n.problems)))
		h.created = &c
		if dep, ok := firstDep[i+1]; ok && i < n.releases && kpiReleaseType(i) != release.Feature {
			s := t.depStart(dep)
			c, v, r, u := s.Add(-10*24*time.Hour), s.Add(-9*24*time.Hour), s.Add(20*time.Minute), s.Add(20*time.Minute+7*24*time.Hour)
			h.created, h.validated, h.resolved, h.until, h.dep, h.rel = &c, &v, &r, &u, dep, i+1
			if cl := u.Add(24 * time.Hour); p%2 == 0 && cl.Before(now) {
				h.closed = &cl
			}
		} else if p%3 != 0 {
			v := c.Add(24 * time.Hour)
			h.validated = &v
		}
		return h
	}
}

// kpiProblemHistory gives every problem its history (kpiProblemPlan):
// its times, status, category (four in turn) and recurrence count (one
// for every 10th resolved problem), its RCA validation and its resolution
// by deployment.
func kpiProblemHistory(ctx context.Context, st *store.Store, n kpiSizes, t kpiTimes) error {
	firstDep := map[int]int{} // release id → its first deployment id
	rows, err := st.DB().QueryContext(ctx, `SELECT release_id, MIN(id) FROM deployments GROUP BY release_id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var rel, dep int
		if err := rows.Scan(&rel, &dep); err != nil {
			rows.Close()
			return err
		}
		firstDep[rel] = dep
	}
	rows.Close()
	plan := kpiProblemPlan(n, t, firstDep, st.Now())
	if err := kpiProblemRows(ctx, st, n, plan); err != nil {
		return err
	}
	err = batches(ctx, st, n.problems, `INSERT INTO rca_validations (problem_id, problem_rev, validator, role, at)
		VALUES ($1, 1, 'pm', 'problem_manager', $2)`, func(i int) []any {
		if h := plan(i); h.validated != nil {
			return []any{i + 1, bts(*h.validated)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return batches(ctx, st, n.problems, `INSERT INTO problem_resolutions (problem_id, problem_rev, kind, deployment_id, release_id,
		requested_by, at) VALUES ($1, 1, 'deployment', $2, $3, 'fixgate-engine', $4)`, func(i int) []any {
		if h := plan(i); h.resolved != nil {
			return []any{i + 1, h.dep, h.rel, bts(*h.resolved)}
		}
		return nil
	})
}

// kpiProblemRows writes each problem's times, status, category and recurrence count.
func kpiProblemRows(ctx context.Context, st *store.Store, n kpiSizes, plan func(int) kpiHist) error {
	cats := []string{"code_defect", "configuration", "capacity", "dependency"}
	opt := func(x *time.Time) any {
		if x == nil {
			return nil
		}
		return bts(*x)
	}
	return batches(ctx, st, n.problems, `UPDATE problems SET created_at = $1, updated_at = $2, status = $3, category = $4,
		rca_validated_at = $5, resolved_at = $6, observation_until = $7, closed_at = $8, recurrence_count = $9 WHERE id = $10`,
		func(i int) []any {
			h, p := plan(i), i+1
			status, updated, rec := problem.New, *h.created, 0
			for _, x := range []*time.Time{h.validated, h.resolved, h.closed} {
				if x != nil {
					updated = *x
				}
			}
			switch {
			case h.closed != nil:
				status = problem.Closed
			case h.resolved != nil:
				status = problem.Resolved
			}
			if h.resolved != nil && p%10 == 0 {
				rec = 1
			}
			return []any{bts(*h.created), bts(updated), status, cats[p%len(cats)], opt(h.validated), opt(h.resolved), opt(h.until),
				opt(h.closed), rec, p}
		})
}

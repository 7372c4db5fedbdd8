package main

import (
	"context"
	"fmt"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/release"
	"fixgate/internal/store"
)

// kpiChangeModels are the change models of the dataset's changes, in turn.
var kpiChangeModels = []string{"hotfix", "config-change", "standard-release"}

// kpiChecks are the analysis checks of an analysed deployment
// (template/check); the first is the one a rolled back or failed
// deployment failed.
var kpiChecks = [][2]string{{"errors", "ratio"}, {"latency", "p99"}}

// kpiAnalysed reports whether deployment k has an analysis: one in 10,
// and every rolled back or failed one.
func kpiAnalysed(k int) bool {
	out := kpiOutcome(k)
	return k%10 == 0 || out == deploy.RolledBack || out == deploy.Failed
}

// kpiPatternHistory writes what the failure-patterns report reads beyond
// the KPI figures, directly as the rest of the history (set by hand as
// gate-rate closes its history):
//   - a change per release (CHG-n for REL-n, closed, one of
//     kpiChangeModels in turn), under which each of its deployments ran;
//   - the analysis of the deployments kpiAnalysed picks: each check of
//     kpiChecks measured 2, 6 and 10 minutes after the start, with its
//     tally (deployment_tallies, as insertMeasurement keeps it); a rolled
//     back or failed deployment's first check failed at the last one;
//   - a completed review (PIR) of one problem-fix release in 5, of the
//     problem it resolves, tagged testing_gap, and every other one also
//     environment_inconsistency.
func kpiPatternHistory(ctx context.Context, st *store.Store, n kpiSizes, t kpiTimes) error {
	at := func(j int) string { return bts(t.start.Add(time.Duration(j) * time.Minute)) }
	err := batches(ctx, st, n.releases, `INSERT INTO changes (id, title, type, release_id, change_model, status, requested_by, rev,
		created_at, updated_at) VALUES ($1, $2, 'normal', $1, $3, 'closed', 'rm', 1, $4, $4)`, func(j int) []any {
		return []any{j + 1, fmt.Sprint("deploy REL-", j+1), kpiChangeModels[j%len(kpiChangeModels)], at(j)}
	})
	if err != nil {
		return err
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE deployments SET change_id = release_id`); err != nil {
		return err
	}
	if err := kpiAnalyses(ctx, st, n, t); err != nil {
		return err
	}
	return kpiReviews(ctx, st, n, at)
}

// kpiAnalyses writes the measurements and tallies of the analysed
// deployments (kpiPatternHistory).
func kpiAnalyses(ctx context.Context, st *store.Store, n kpiSizes, t kpiTimes) error {
	failedAt := func(k, c, m int) bool { return c == 0 && m == 2 && kpiOutcome(k) != deploy.Succeeded }
	err := batches(ctx, st, n.deployments*len(kpiChecks)*3, `INSERT INTO deployment_measurements (deployment_id, stage, template,
		check_name, kind, at, outcome) VALUES ($1, 'full', $2, $3, 'prometheus', $4, $5)`, func(i int) []any {
		k, c, m := i/(len(kpiChecks)*3)+1, i/3%len(kpiChecks), i%3
		if !kpiAnalysed(k) {
			return nil
		}
		out := "successful"
		if failedAt(k, c, m) {
			out = "failed"
		}
		return []any{k, kpiChecks[c][0], kpiChecks[c][1], bts(t.depStart(k).Add(time.Duration(2+4*m) * time.Minute)), out}
	})
	if err != nil {
		return err
	}
	return batches(ctx, st, n.deployments*len(kpiChecks), `INSERT INTO deployment_tallies (deployment_id, stage, template, check_name,
		measurements, successful, failed, inconclusive, error_run, longest_error_run, last_failed, last_error, last_at,
		last_failure_at, latest_at, latest_error) VALUES ($1, 'full', $2, $3, 3, $4, $5, 0, 0, 0, '', '', $6, $7, $6, FALSE)`,
		func(i int) []any {
			k, c := i/len(kpiChecks)+1, i%len(kpiChecks)
			if !kpiAnalysed(k) {
				return nil
			}
			last := bts(t.depStart(k).Add(10 * time.Minute))
			if failedAt(k, c, 2) {
				return []any{k, kpiChecks[c][0], kpiChecks[c][1], 2, 1, last, last}
			}
			return []any{k, kpiChecks[c][0], kpiChecks[c][1], 3, 0, last, nil}
		})
}

// kpiReviews writes the reviews and their finding tags (kpiPatternHistory):
// problem-fix release j (0-based) with j%5 == 0 resolves PRB-(j+1) and
// gets review j/5+1.
func kpiReviews(ctx context.Context, st *store.Store, n kpiSizes, at func(int) string) error {
	reviewed := func(j int) bool {
		return j%5 == 0 && j < n.problems && kpiReleaseType(j) == release.ProblemFix
	}
	err := batches(ctx, st, n.releases, `INSERT INTO pirs (id, problem_id, release_id, status, rev, created_by, created_at, updated_at)
		VALUES ($1, $2, $2, 'completed', 2, 'pm', $3, $3)`, func(j int) []any {
		if !reviewed(j) {
			return nil
		}
		return []any{j/5 + 1, j + 1, at(j)}
	})
	if err != nil {
		return err
	}
	return batches(ctx, st, n.releases*2, `INSERT INTO pir_finding_tags (pir_id, tag) VALUES ($1, $2)`, func(i int) []any {
		j, second := i/2, i%2 == 1
		if !reviewed(j) || second && (j/5)%2 == 1 {
			return nil
		}
		tag := "testing_gap"
		if second {
			tag = "environment_inconsistency"
		}
		return []any{j/5 + 1, tag}
	})
}

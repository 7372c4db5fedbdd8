package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"fixgate/internal/deploy"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/report"
)

// PatternsReport loads the facts of the failure-patterns report over the
// period of length since ending now (the store's clock), in environment env
// and on CI ci ("" for all), and builds it (report.BuildPatterns) with the
// report's evidence rule (report.DefaultEvidence). A filter that matches
// nothing gives zeros and samples of 0.
func (s *Store) PatternsReport(ctx context.Context, since time.Duration, env, ci string) (report.Patterns, error) {
	f, x, err := s.PatternsFacts(ctx, since, env, ci)
	if err != nil {
		return report.Patterns{}, err
	}
	return report.BuildPatterns(f, x, report.DefaultEvidence), nil
}

// PatternsFacts loads what PatternsReport is built from: one set-based
// query bounded by the period (patternFactsSQL), read in one transaction.
func (s *Store) PatternsFacts(ctx context.Context, since time.Duration, env, ci string) (report.Filter, report.PatternFacts, error) {
	now := s.Now()
	f := report.Filter{Since: now.Add(-since), Now: now, Env: env, CI: ci}
	var x report.PatternFacts
	err := s.read(ctx, func(tx *Tx) error { return tx.patternFacts(ctx, []any{ts(f.Since), ts(f.Now), env, ci}, &x) })
	return f, x, err
}

// patternKey turns a stored key into the report's: stage_reached's
// "<index> <path JSON>" becomes the name of that stage of the path
// ("stage N", 1-based, when it has none).
func patternKey(dim, key string) string {
	if dim != report.DimStage {
		return key
	}
	i, path, _ := strings.Cut(key, " ")
	n, err := strconv.Atoi(i)
	var stages []deploy.Stage
	if err != nil || json.Unmarshal([]byte(path), &stages) != nil || n < 0 || n >= len(stages) || stages[n].Name == "" {
		return "stage " + strconv.Itoa(n+1)
	}
	return stages[n].Name
}

// PatternBucket lists the counted problem-fix deployments of the period
// (as PatternsReport's filter) behind bucket or bin key of dimension dim
// ("" for all of them), in id order, each with whether it failed there
// (report.BucketDeployments). Returns Invalid naming "dim" for an unknown
// dimension.
func (s *Store) PatternBucket(ctx context.Context, since time.Duration, env, ci, dim, key string) ([]report.BucketDeployment, error) {
	if !report.KnownDim(dim) {
		return nil, fault.Field("dim", "unknown dimension %q", dim)
	}
	now := s.Now()
	var rows []report.PatternDeployment
	err := s.read(ctx, func(tx *Tx) error {
		var err error
		rows, err = scanAll(ctx, tx, patternBucketSQL, func(r *sql.Rows) (report.PatternDeployment, error) {
			d := report.PatternDeployment{Dim: dim}
			var id, rel, hit int64
			err := r.Scan(&d.Key, &d.N, &hit, &id, &rel, &d.Env, &d.Status, &d.Incidents)
			d.Hit, d.Key = hit > 0, patternKey(dim, d.Key)
			d.ID, d.Release = ident.Deployment.Format(id), ident.Release.Format(rel)
			return d, err
		}, ts(now.Add(-since)), ts(now), env, ci, dim)
		return err
	})
	if err != nil {
		return nil, err
	}
	return report.BucketDeployments(dim, key, since, rows), nil
}

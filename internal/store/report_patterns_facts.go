package store

import (
	"cmp"
	"context"
	"slices"

	"fixgate/internal/ident"
	"fixgate/internal/report"
)

// patternRow is one row of patternFactsSQL: its kind, four texts and
// seven integers (what each holds depends on the kind).
type patternRow struct {
	kind string
	s    [4]string
	i    [7]int64
}

// patternCandidate is a deployment that may have failed ('f' row), with
// the keys its own columns give.
type patternCandidate struct {
	id, release                 int64
	fd                          report.FailedDeployment
	model, stage                string
	comps, probs, commits, freq int64
}

// patternKeyHit is a key of a multi-valued dimension ('r' and 'c' rows).
type patternKeyHit struct {
	dim, key string
	hit      bool
}

// patternLoad gathers patternFactsSQL's rows into report.PatternFacts.
type patternLoad struct {
	x          *report.PatternFacts
	candidates []patternCandidate
	releaseKey map[int64][]patternKeyHit // 'r': release → its keys
	checks     map[int64][]patternKeyHit // 'c': deployment → its checks
	stages     map[string]string         // stored stage key → its name (patternKey), parsed once per path
}

// patternFacts reads every fact of the patterns report with one query
// (patternFactsSQL) into x. The groups come counted; each deployment that
// may have failed comes once, with its release's keys once per release,
// and is listed here under each of its keys (x.Deployments, in id order).
func (tx *Tx) patternFacts(ctx context.Context, args []any, x *report.PatternFacts) error {
	a := append(append([]any{}, args...), report.FailingStatuses[0], report.FailingStatuses[1], report.FailingStatuses[2])
	rows, err := tx.query(ctx, patternFactsSQL, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	l := patternLoad{x: x, releaseKey: map[int64][]patternKeyHit{}, checks: map[int64][]patternKeyHit{}, stages: map[string]string{}}
	x.CIReleases = map[string]int64{}
	var r patternRow
	for rows.Next() {
		if err := rows.Scan(&r.kind, &r.s[0], &r.s[1], &r.s[2], &r.s[3], &r.i[0], &r.i[1], &r.i[2], &r.i[3], &r.i[4], &r.i[5],
			&r.i[6]); err != nil {
			return err
		}
		l.add(r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	l.expand()
	return nil
}

// stage names stored stage key k (cached: every deployment of one path
// shares its few keys).
func (l *patternLoad) stage(k string) string {
	n, ok := l.stages[k]
	if !ok {
		n = patternKey(report.DimStage, k)
		l.stages[k] = n
	}
	return n
}

// add takes one row (patternFactsSQL lists the kinds).
func (l *patternLoad) add(r patternRow) {
	x := l.x
	switch r.kind {
	case "g":
		key := r.s[1]
		if r.s[0] == report.DimStage {
			key = l.stage(key)
		}
		x.Groups = append(x.Groups, report.PatternGroup{Dim: r.s[0], Key: key, N: r.i[0], Status: r.s[2], Incident: r.i[1] > 0,
			Hit: r.i[2] > 0, Count: r.i[3]})
	case "ci":
		x.CIReleases[r.s[1]] = r.i[0]
	case "f":
		l.candidates = append(l.candidates, patternCandidate{id: r.i[0], release: r.i[1],
			fd:    report.FailedDeployment{ID: ident.Deployment.Format(r.i[0]), Release: ident.Release.Format(r.i[1]), Env: r.s[0], Status: r.s[2], Incidents: r.i[2]},
			model: r.s[1], stage: l.stage(r.s[3]), comps: r.i[3], probs: r.i[4], commits: r.i[5], freq: r.i[6]})
	case "r":
		l.releaseKey[r.i[1]] = append(l.releaseKey[r.i[1]], patternKeyHit{dim: r.s[0], key: r.s[1], hit: true})
	case "c":
		l.checks[r.i[0]] = append(l.checks[r.i[0]], patternKeyHit{dim: report.DimCheck, key: r.s[1], hit: r.i[2] > 0})
	case "p":
		x.Problems = append(x.Problems, report.ProblemGroup{Dim: r.s[0], N: r.i[0], Recurred: r.i[1] > 0, Count: r.i[3]})
	case "q":
		p := ident.Problem.Format(r.i[0])
		for j, dim := range report.SizeDims {
			x.Recurred = append(x.Recurred, report.RecurredProblem{Dim: dim, N: r.i[3+j], Problem: p})
		}
		x.Recurred = append(x.Recurred, report.RecurredProblem{Dim: report.DimFrequency, N: r.i[6], Problem: p})
	}
}

// expand lists each candidate, in id order, under each of its keys: its
// environment, change model, stage, its release's keys, its checks (and
// the no-key of failing_check when none of them failed), and the measures
// of its release.
func (l *patternLoad) expand() {
	slices.SortFunc(l.candidates, func(a, b patternCandidate) int { return cmp.Compare(a.id, b.id) })
	out := make([]report.PatternDeployment, 0, len(l.candidates)*12)
	for _, c := range l.candidates {
		at := func(dim, key string, n int64, hit bool) report.PatternDeployment {
			return report.PatternDeployment{Dim: dim, Key: key, N: n, Hit: hit, FailedDeployment: c.fd}
		}
		out = append(out, at(report.DimEnv, c.fd.Env, 0, true), at(report.DimChangeModel, c.model, 0, true),
			at(report.DimStage, c.stage, 0, true))
		for _, k := range l.releaseKey[c.release] {
			out = append(out, at(k.dim, k.key, 0, true))
		}
		failed := false
		for _, k := range l.checks[c.id] {
			out = append(out, at(k.dim, k.key, 0, k.hit))
			failed = failed || k.hit
		}
		if !failed {
			out = append(out, at(report.DimCheck, "", 0, true))
		}
		out = append(out, at(report.DimComponents, "", c.comps, true), at(report.DimProblems, "", c.probs, true),
			at(report.DimCommits, "", c.commits, true), at(report.DimFrequency, "", c.freq, true))
	}
	l.x.Deployments = out
}

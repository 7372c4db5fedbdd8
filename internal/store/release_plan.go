package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"fixgate/internal/ci"
	"fixgate/internal/deploy"
	"fixgate/internal/environment"
	"fixgate/internal/fault"
	"fixgate/internal/ident"
	"fixgate/internal/release"
)

// The plan reads the whole CI graph: the CI catalogue is small (hundreds,
// a few thousand CIs) and every query below is bounded by it: one row per
// CI, per component version, and per (production environment, CI) live.

// ReleasePlan returns what to rebuild and redeploy to ship a fix of the
// problems resolves (PRB-n), computed by release.Plan on one snapshot.
// The current version of a CI is the highest version live in a
// production-tier environment, else the highest of its versions that is
// not revoked; its dependencies are that version's. Returns Invalid naming
// "resolves" for a malformed or unknown problem or one that names no CI,
// and Conflict naming a dependency cycle among the CIs to rebuild.
func (s *Store) ReleasePlan(ctx context.Context, resolves []string) ([]release.PlanItem, error) {
	var facts release.PlanFacts
	err := s.readSnapshot(ctx, func(q *sql.Tx) error {
		affected, err := affectedCIs(ctx, q, resolves)
		if err != nil {
			return err
		}
		live, err := liveInProduction(ctx, q, nil)
		if err != nil {
			return err
		}
		facts.Affected = affected
		facts.CIs, err = planGraph(ctx, q, live)
		return err
	})
	if err != nil {
		return nil, errf(err, "release plan")
	}
	return release.Plan(facts)
}

// NextReleaseVersion proposes the version of a fix of the problems
// resolves: the next patch over the highest version live in a
// production-tier environment among the CIs they affect, or, when none is
// live, over the highest release (not canceled) holding a version of one
// of them. basis says which ("checkout-api@1.4.2 live in prod-eu").
// Returns Invalid naming "resolves" as ReleasePlan does, and naming
// "next" when there is nothing to base a version on.
func (s *Store) NextReleaseVersion(ctx context.Context, resolves []string) (version, basis string, err error) {
	err = s.readSnapshot(ctx, func(q *sql.Tx) error {
		affected, err := affectedCIs(ctx, q, resolves)
		if err != nil {
			return err
		}
		var names []string
		for c := range affected {
			names = append(names, c)
		}
		slices.Sort(names)
		live, err := liveInProduction(ctx, q, names)
		if err != nil {
			return err
		}
		for _, c := range names {
			if l, ok := live[c]; ok && (version == "" || release.Higher(l.Version, version)) {
				version, basis = l.Version, c+"@"+l.Version+" live in "+l.Env
			}
		}
		if version == "" {
			version, basis, err = latestReleaseOf(ctx, q, names)
		}
		return err
	})
	if err != nil {
		return "", "", errf(err, "next release version")
	}
	next, err := release.NextPatch(version)
	return next, basis, err
}

// latestReleaseOf returns the highest version of a release, not canceled,
// that holds a version of one of cis. Returns Invalid naming "next" when
// there is none.
func latestReleaseOf(ctx context.Context, q *sql.Tx, cis []string) (version, basis string, err error) {
	for _, c := range cis {
		rows, err := q.QueryContext(ctx, `SELECT DISTINCT r.id, r.version FROM releases r
			JOIN release_components rc ON rc.release_id = r.id
			JOIN component_versions cv ON cv.id = rc.component_version_id
			WHERE cv.ci = $1 AND r.status <> $2 ORDER BY r.id`, c, release.Canceled)
		if err != nil {
			return "", "", err
		}
		for rows.Next() {
			var id int64
			var v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return "", "", err
			}
			if version == "" || release.Higher(v, version) {
				version, basis = v, ident.Release.Format(id)+" "+v+", the latest release of "+c
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return "", "", err
		}
	}
	if version == "" {
		return "", "", fault.Field("next", "no version of %s is live in production and no release holds one: pass --version",
			strings.Join(cis, ", "))
	}
	return version, basis, nil
}

// readSnapshot runs fn in one read-only transaction (repeatable read on
// PostgreSQL), so its queries see one state of the database.
func (s *Store) readSnapshot(ctx context.Context, fn func(*sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.dialect != SQLite {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return unavailable(err, "begin read")
	}
	defer tx.Rollback()
	return fn(tx)
}

// affectedCIs maps each CI the problems affect to their ids. Returns
// Invalid naming "resolves" for a malformed, unknown or CI-less problem.
func affectedCIs(ctx context.Context, q *sql.Tx, resolves []string) (map[string][]string, error) {
	if len(resolves) == 0 {
		return nil, fault.Field("resolves", "name at least one problem (PRB-n)")
	}
	out := map[string][]string{}
	for _, p := range resolves {
		n, err := ident.Problem.Parse("resolves", p)
		if err != nil {
			return nil, err
		}
		id := ident.Problem.Format(n)
		var exists int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM problems WHERE id = $1`, n).Scan(&exists); err != nil {
			return nil, err
		}
		if exists == 0 {
			return nil, fault.Field("resolves", "problem %s does not exist", id)
		}
		cis, err := problemCIs(ctx, q, n)
		if err != nil {
			return nil, err
		}
		if len(cis) == 0 {
			return nil, fault.Field("resolves", "problem %s names no affected CI; set its CIs first", id)
		}
		for _, c := range cis {
			if !slices.Contains(out[c], id) {
				out[c] = append(out[c], id)
			}
		}
	}
	return out, nil
}

func problemCIs(ctx context.Context, q *sql.Tx, problem int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT ci FROM problem_cis WHERE problem_id = $1 ORDER BY ci`, problem)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// liveVersion is a component version live in a production environment.
type liveVersion struct{ Version, Env string }

// liveInProduction returns, per CI, the highest version live in a
// production-tier environment: per environment the version the last
// succeeded deployment put there (the gate's rule), the highest across
// environments (ties: the first environment by name). With cis, only
// theirs: the deployments of their releases are read (through
// release_components_version), not every production deployment of the
// history (a release's create reads its line's: 280 ms → 30 ms over
// 100k deployments, bench/README.md session 9); nil reads every CI's.
// CROSS JOIN keeps SQLite's join order, from the CIs' versions (without
// statistics it drove from every succeeded deployment); PostgreSQL plans
// it as the inner join it is.
func liveInProduction(ctx context.Context, q *sql.Tx, cis []string) (map[string]liveVersion, error) {
	args := []any{environment.Production, deploy.Succeeded}
	only := ""
	if cis != nil {
		if len(cis) == 0 {
			return map[string]liveVersion{}, nil
		}
		marks := make([]string, len(cis))
		for i, c := range cis {
			args = append(args, c)
			marks[i] = "$" + strconv.Itoa(len(args))
		}
		only = " AND cv.ci IN (" + strings.Join(marks, ", ") + ")"
	}
	rows, err := q.QueryContext(ctx, `SELECT env, ci, version FROM (
		SELECT d.env AS env, cv.ci AS ci, cv.version AS version,
			ROW_NUMBER() OVER (PARTITION BY d.env, cv.ci ORDER BY d.finished_at DESC, d.id DESC) AS n
		FROM component_versions cv CROSS JOIN release_components rc CROSS JOIN deployments d CROSS JOIN environments e
		WHERE rc.component_version_id = cv.id AND d.release_id = rc.release_id AND e.name = d.env
			AND e.tier = $1 AND d.status = $2`+only+`) live
		WHERE n = 1 ORDER BY env, ci`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]liveVersion{}
	for rows.Next() {
		var env, name, v string
		if err := rows.Scan(&env, &name, &v); err != nil {
			return nil, err
		}
		if cur, ok := out[name]; !ok || release.Higher(v, cur.Version) {
			out[name] = liveVersion{Version: v, Env: env}
		}
	}
	return out, rows.Err()
}

// planGraph reads every CI with its current version and that version's
// dependencies (see ReleasePlan).
func planGraph(ctx context.Context, q *sql.Tx, live map[string]liveVersion) ([]release.PlanCI, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.name, cv.version, cv.status, cv.dependencies
		FROM cis c LEFT JOIN component_versions cv ON cv.ci = c.name ORDER BY c.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []release.PlanCI
	deps := map[string][]ci.Dependency{} // version → dependencies, of the CI being read
	latest := ""                         // highest version not revoked, of the CI being read
	flush := func() {
		n := &out[len(out)-1]
		n.Version = latest
		if l, ok := live[n.Name]; ok {
			n.Version = l.Version
		}
		n.Dependencies = deps[n.Version]
	}
	for rows.Next() {
		var name string
		var version, status sql.NullString
		var dl []ci.Dependency
		if err := rows.Scan(&name, &version, &status, jsonCol{&dl}); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != name {
			if len(out) > 0 {
				flush()
			}
			out = append(out, release.PlanCI{Name: name})
			deps, latest = map[string][]ci.Dependency{}, ""
		}
		if !version.Valid {
			continue
		}
		for i := range dl {
			if dl[i].Kind == "" { // stored before dependency kinds existed
				dl[i].Kind = ci.Calls
			}
		}
		deps[version.String] = dl
		if status.String != ci.Revoked && (latest == "" || release.Higher(version.String, latest)) {
			latest = version.String
		}
	}
	if len(out) > 0 {
		flush()
	}
	return out, rows.Err()
}

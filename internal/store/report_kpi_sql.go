package store

// The KPI report's queries (report_kpi.go). Each takes $1 the start and
// $2 the end of the period, $3 the environment and $4 the CI ('' matches
// every one). secs(a, b) stands for the whole seconds from a to b and
// month(a) for a's calendar month in UTC ("YYYY-MM") in the dialect's SQL
// (Tx.kpiSQL).

// kpiDeploymentFilter keeps deployments (d) started in the period, in the
// environment, whose release carries a component version of the CI.
const kpiDeploymentFilter = `d.started_at >= $1 AND d.started_at <= $2 AND ($3 = '' OR d.env = $3)
	AND ($4 = '' OR EXISTS (SELECT 1 FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
		WHERE rc.release_id = d.release_id AND cv.ci = $4))`

// kpiAttributed counts the incidents attributed to deployment d opened
// within its watch window: from its start to the end of its watch (its
// end when it had no watch; the period's end while it runs).
const kpiAttributed = `(SELECT COUNT(*) FROM incidents i WHERE i.deployment_id = d.id AND i.opened_at >= d.started_at
	AND i.opened_at <= COALESCE(d.watch_until, d.finished_at, $2))`

// kpiDeploymentsSQL reads the deployments of the period once (with the
// incidents attributed to each, kpiAttributed: the costly part) into a
// materialized set and answers three kinds of rows from it:
//   - 'type': counts by release type, calendar month of the start
//     (month(x): "YYYY-MM" in UTC, Tx.kpiSQL), status and whether an
//     incident was attributed (the period's figures sum the months; the
//     trend is the months);
//   - 'team': the same counts by team, the owners of the CIs of the
//     release's components (a deployment counts once per team: the
//     deployments are counted per release, then per distinct owner of the
//     release's CIs), not by month;
//   - 'failed': the deployments that may have failed, a failing status
//     ($5, $6, $7: report.FailingStatuses) or an attributed incident, with
//     id, release, environment and the incident count;
//   - 'duration': the histograms (kpiDurationsSQL) of the deployments'
//     samples, recovery (first failing evidence to rollback done) and time
//     to detect (start to first failing evidence): key the measure, id the
//     whole seconds, count how often.
//
// Columns: kind, key, month, status, incidents, count, id, release, env.
const kpiDeploymentsSQL = `WITH d AS MATERIALIZED (
	SELECT d.id AS id, d.release_id AS release_id, r.type AS type, month(d.started_at) AS month, d.env AS env, d.status AS status,
		` + kpiAttributed + ` AS inc,
		CASE WHEN d.first_failure_at IS NOT NULL AND d.rollback_done_at IS NOT NULL
			THEN secs(d.first_failure_at, d.rollback_done_at) END AS recovery,
		CASE WHEN d.first_failure_at IS NOT NULL THEN secs(d.started_at, d.first_failure_at) END AS detect
	FROM deployments d JOIN releases r ON r.id = d.release_id WHERE ` + kpiDeploymentFilter + `
)
SELECT 'type', d.type, d.month, d.status, CASE WHEN d.inc > 0 THEN 1 ELSE 0 END, COUNT(*), 0, 0, '' FROM d
	GROUP BY d.type, d.month, d.status, CASE WHEN d.inc > 0 THEN 1 ELSE 0 END
UNION ALL SELECT 'team', o.owner, '', g.status, g.inc, SUM(g.n), 0, 0, '' FROM (
	SELECT d.release_id AS release_id, d.status AS status, CASE WHEN d.inc > 0 THEN 1 ELSE 0 END AS inc, COUNT(*) AS n FROM d
	GROUP BY d.release_id, d.status, CASE WHEN d.inc > 0 THEN 1 ELSE 0 END) g
	JOIN (SELECT DISTINCT rc.release_id AS release_id, c.owner AS owner FROM release_components rc
		JOIN component_versions cv ON cv.id = rc.component_version_id JOIN cis c ON c.name = cv.ci) o ON o.release_id = g.release_id
	GROUP BY o.owner, g.status, g.inc
UNION ALL SELECT 'failed', d.type, '', d.status, d.inc, 1, d.id, d.release_id, d.env FROM d
	WHERE d.status IN ($5, $6, $7) OR d.inc > 0
UNION ALL SELECT 'duration', 'failed_deployment_recovery', '', '', 0, COUNT(*), d.recovery, 0, '' FROM d
	WHERE d.recovery IS NOT NULL GROUP BY d.recovery
UNION ALL SELECT 'duration', 'time_to_detect', '', '', 0, COUNT(*), d.detect, 0, '' FROM d
	WHERE d.detect IS NOT NULL GROUP BY d.detect`

// kpiProblemFilter keeps problems (p) of the environment and the CI.
const kpiProblemFilter = `($3 = '' OR EXISTS (SELECT 1 FROM problem_envs pe WHERE pe.problem_id = p.id AND pe.env = $3))
	AND ($4 = '' OR EXISTS (SELECT 1 FROM problem_cis pc WHERE pc.problem_id = p.id AND pc.ci = $4))`

// kpiIncidentFilter keeps incidents (i) opened in the period, of the
// environment and the CI. It stands as the marker incidentsInPeriod in
// the queries: without an environment or a CI it names neither column, so
// that an index without them covers the query (SQLite plans the columns a
// query names, whatever $3 and $4 hold).
func kpiIncidentFilter(env, ci string) string {
	f := `i.opened_at >= $1 AND i.opened_at <= $2`
	if env == "" {
		f += ` AND $3 = ''`
	} else {
		f += ` AND i.env = $3`
	}
	if ci == "" {
		return f + ` AND $4 = ''`
	}
	return f + ` AND i.ci = $4`
}

// incidentsInPeriod marks where kpiIncidentFilter goes in a query.
const incidentsInPeriod = `{incidents in period}`

// kpiDurationsSQL reads the problem flow's duration samples
// (report.Measures; the deployments' come with kpiDeploymentsSQL, the
// incidents' with kpiMTTRSQL) as histograms: per measure, each distinct
// whole number of seconds and how often it occurs (report.DurationsOf
// picks the median and p90 nearest ranks from it). Grouping needs no
// window over the sample, and answers one row per distinct value. A step
// counts in the period in which it ended; the flow uses each problem's
// first RCA validation (fv) and first resolution by a deployment (fr),
// each grouped once over its table and joined: PostgreSQL ran the two
// lookups per problem as 100k subplans (124 → 77 ms, 50k problems;
// SQLite reads either way in the same time). f is read once.
const kpiDurationsSQL = `WITH fv AS (
	SELECT v.problem_id AS problem_id, MIN(v.at) AS at FROM rca_validations v GROUP BY v.problem_id
), fr AS (
	SELECT r.problem_id AS problem_id, MIN(r.at) AS at FROM problem_resolutions r WHERE r.kind = 'deployment'
	GROUP BY r.problem_id
), f AS MATERIALIZED (
	SELECT p.created_at AS opened, fv.at AS validated, fr.at AS deployed, p.closed_at AS closed
	FROM problems p LEFT JOIN fv ON fv.problem_id = p.id LEFT JOIN fr ON fr.problem_id = p.id
	WHERE p.updated_at >= $1 AND ` + kpiProblemFilter + `
)
SELECT 'opened_to_rca_validated', x.s, COUNT(*) FROM (SELECT secs(f.opened, f.validated) AS s FROM f
	WHERE f.validated >= $1 AND f.validated <= $2) x GROUP BY x.s
UNION ALL SELECT 'rca_validated_to_fix_deployed', x.s, COUNT(*) FROM (SELECT secs(f.validated, f.deployed) AS s FROM f
	WHERE f.deployed >= $1 AND f.deployed <= $2 AND f.validated IS NOT NULL) x GROUP BY x.s
UNION ALL SELECT 'fix_deployed_to_closed', x.s, COUNT(*) FROM (SELECT secs(f.deployed, f.closed) AS s FROM f
	WHERE f.closed >= $1 AND f.closed <= $2 AND f.deployed IS NOT NULL) x GROUP BY x.s
UNION ALL SELECT 'opened_to_closed', x.s, COUNT(*) FROM (SELECT secs(f.opened, f.closed) AS s FROM f
	WHERE f.closed >= $1 AND f.closed <= $2) x GROUP BY x.s`

// kpiMTTRSQL reads the histogram of the incidents' time to resolve
// (incidents.resolve_seconds, a generated column: migration 00037) over
// the period's resolved incidents, through incidents_opened_mttr: the
// period's range of it, grouped (SQLite sorts it; PostgreSQL hashes it).
// indexedBy is SQLite's INDEXED BY: its planner does not count an index
// holding a virtual column as covering, and took (opened_at, problem_id)
// with a table read per row (6x slower, 1M incidents).
const kpiMTTRSQL = `SELECT i.resolve_seconds, COUNT(*) FROM incidents i` + indexedBy + `
	WHERE ` + incidentsInPeriod + ` AND i.resolve_seconds IS NOT NULL GROUP BY i.resolve_seconds`

// indexedBy marks where a query names SQLite's index (INDEXED BY:
// Tx.kpiMTTR, Tx.kpiIncidentProblems), or nothing.
const indexedBy = ` {indexed by}`

// kpiMTTROrderedSQL is kpiMTTRSQL read in the order of the seconds
// (SQLite only: INDEXED BY incidents_resolve_seconds), which groups them
// with no sort but reads every resolved incident of the history and keeps
// those of the period; without an environment or CI filter (the index has
// neither). Tx.kpiMTTR chooses it when the period spans much of the
// history.
const kpiMTTROrderedSQL = `SELECT i.resolve_seconds, COUNT(*) FROM incidents i INDEXED BY incidents_resolve_seconds
	WHERE i.resolve_seconds IS NOT NULL AND i.opened_at >= $1 AND i.opened_at <= $2 AND $3 = '' AND $4 = ''
	GROUP BY i.resolve_seconds`

// kpiFixedProblems are the problems resolved in the period (any kind of
// resolution), with their root cause category, recurrence count and the
// change model of the change of their latest resolving deployment. It is
// materialized: SQLite otherwise ran it again for each of the five
// groupings of kpiRecurrenceSQL (142 → 62 ms, 50k problems).
const kpiFixedProblems = `WITH p AS MATERIALIZED (
	SELECT p.id AS id, p.category AS category, p.recurrence_count AS rc,
		COALESCE((SELECT c.change_model FROM problem_resolutions r JOIN deployments d ON d.id = r.deployment_id
			JOIN changes c ON c.id = d.change_id WHERE r.problem_id = p.id ORDER BY r.id DESC LIMIT 1), '') AS model
	FROM problems p WHERE EXISTS (SELECT 1 FROM problem_resolutions r WHERE r.problem_id = p.id AND r.at >= $1 AND r.at <= $2)
		AND ` + kpiProblemFilter + `
)`

// kpiRecurrenceSQL counts the fixed problems by dimension, key and recurrence count.
const kpiRecurrenceSQL = kpiFixedProblems + `
SELECT 'problem', CAST(p.id AS TEXT), p.rc, COUNT(*) FROM p GROUP BY p.id, p.rc
UNION ALL SELECT 'category', p.category, p.rc, COUNT(*) FROM p GROUP BY p.category, p.rc
UNION ALL SELECT 'ci', pc.ci, p.rc, COUNT(*) FROM p JOIN problem_cis pc ON pc.problem_id = p.id GROUP BY pc.ci, p.rc
UNION ALL SELECT 'change_model', p.model, p.rc, COUNT(*) FROM p GROUP BY p.model, p.rc
UNION ALL SELECT 'team', c.owner, p.rc, COUNT(DISTINCT p.id) FROM p JOIN problem_cis pc ON pc.problem_id = p.id
	JOIN cis c ON c.name = pc.ci GROUP BY c.owner, p.rc`

// kpiClosedSQL counts the problems closed in the period.
const kpiClosedSQL = `SELECT COUNT(*) FROM problems p WHERE p.closed_at >= $1 AND p.closed_at <= $2 AND ` + kpiProblemFilter

// kpiAfterClosureSQL lists the problems closed in the period with
// incidents opened after their closure (up to the period's end): linked
// to them, or with the fingerprint of one of their incidents from before.
// Each way is counted per closed problem by index lookups
// (incidents_problem_opened; incidents_fingerprint per fingerprint),
// never a join of the closed problems with every later incident
// (PostgreSQL planned that as a hash of the whole table: 440 ms against
// 80 ms, 1M incidents); an
// incident found both ways counts once (the second way skips the
// problem's own). h is materialized so that each count runs once.
const kpiAfterClosureSQL = `WITH cp AS MATERIALIZED (
	SELECT p.id AS id, p.closed_at AS closed_at FROM problems p
	WHERE p.closed_at >= $1 AND p.closed_at <= $2 AND ` + kpiProblemFilter + `
), h AS MATERIALIZED (
	SELECT cp.id AS id,
		(SELECT COUNT(*) FROM incidents n WHERE n.problem_id = cp.id AND n.opened_at > cp.closed_at AND n.opened_at <= $2) AS linked,
		(SELECT COUNT(*) FROM incidents n WHERE n.fingerprint IN (SELECT o.fingerprint FROM incidents o WHERE o.problem_id = cp.id
				AND o.opened_at <= cp.closed_at AND o.fingerprint <> '')
			AND n.opened_at > cp.closed_at AND n.opened_at <= $2 AND (n.problem_id IS NULL OR n.problem_id <> cp.id)) AS alike
	FROM cp
)
SELECT h.id, h.linked + h.alike FROM h WHERE h.linked + h.alike > 0 ORDER BY h.id`

// kpiIncidentProblemsSQL lists the problems of the incidents of the
// period: those incidents, all of the problem's counted up to 2 (report:
// recurring needs no more; a second incident is looked for only when the
// period holds one), its status, observation end and whether a deployment
// of a problem-fix release resolved it. indexedBy: Tx.kpiIncidentProblems.
const kpiIncidentProblemsSQL = `SELECT p.id, x.n, CASE WHEN x.n >= 2 OR EXISTS (SELECT 1 FROM incidents a WHERE a.problem_id = p.id
		LIMIT 1 OFFSET 1) THEN 2 ELSE 1 END, p.status,
	p.observation_until, CASE WHEN EXISTS (SELECT 1 FROM problem_resolutions r WHERE r.problem_id = p.id AND r.kind = 'deployment')
		THEN 1 ELSE 0 END
	FROM (SELECT i.problem_id AS problem_id, COUNT(*) AS n FROM incidents i` + indexedBy + `
		WHERE i.problem_id IS NOT NULL AND ` + incidentsInPeriod + `
		GROUP BY i.problem_id) x
	JOIN problems p ON p.id = x.problem_id ORDER BY p.id`

// kpiTargetsSQL lists the problems resolved by a deployment in the period
// with an observation period, the change model and release of that
// resolution, the newest review of the problem (for that release, or for
// none) that stored an evaluation of its targets, with that evaluation
// (empty when none), and their incidents in the windows of pir.KPIWindows:
// before [resolved − L, resolved), after [resolved, observation end), with
// the count and total seconds of the after window's resolved incidents.
// fx and fr are materialized: inlined, PostgreSQL ran their subqueries
// again for every incident joined to them.
const kpiTargetsSQL = `WITH fx AS MATERIALIZED (
	SELECT p.id AS id, p.resolved_at AS resolved_at, p.observation_until AS until,
		COALESCE((SELECT c.change_model FROM problem_resolutions r JOIN deployments d ON d.id = r.deployment_id
			JOIN changes c ON c.id = d.change_id WHERE r.problem_id = p.id ORDER BY r.id DESC LIMIT 1), '') AS model,
		(SELECT r.release_id FROM problem_resolutions r WHERE r.problem_id = p.id AND r.kind = 'deployment'
			ORDER BY r.id DESC LIMIT 1) AS release_id
	FROM problems p WHERE p.resolved_at >= $1 AND p.resolved_at <= $2 AND p.observation_until > p.resolved_at
		AND ` + kpiProblemFilter + `
), fr AS MATERIALIZED (
	SELECT fx.id AS id, fx.resolved_at AS resolved_at, fx.until AS until, fx.model AS model, fx.release_id AS release_id,
		(SELECT MAX(x.id) FROM pirs x WHERE x.problem_id = fx.id AND x.targets <> ''
			AND (x.release_id IS NULL OR x.release_id = fx.release_id)) AS pir_id
	FROM fx WHERE fx.release_id IS NOT NULL
)
SELECT fr.id, fr.resolved_at, fr.until, fr.model, fr.release_id, COALESCE(fr.pir_id, 0), COALESCE(x.targets, ''),
	CAST(COALESCE(SUM(CASE WHEN i.opened_at < fr.resolved_at AND secs(i.opened_at, fr.resolved_at) <= secs(fr.resolved_at, fr.until)
		THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN i.opened_at >= fr.resolved_at AND i.opened_at < fr.until THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN i.opened_at >= fr.resolved_at AND i.opened_at < fr.until AND i.resolved_at IS NOT NULL
		THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN i.opened_at >= fr.resolved_at AND i.opened_at < fr.until AND i.resolved_at IS NOT NULL
		THEN secs(i.opened_at, i.resolved_at) ELSE 0 END), 0) AS BIGINT)
FROM fr LEFT JOIN pirs x ON x.id = fr.pir_id LEFT JOIN incidents i ON i.problem_id = fr.id
GROUP BY fr.id, fr.resolved_at, fr.until, fr.model, fr.release_id, fr.pir_id, x.targets ORDER BY fr.id`

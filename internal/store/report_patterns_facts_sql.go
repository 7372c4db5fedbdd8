package store

// patternFactsSQL reads every fact of the patterns report in one query
// (Tx.patternFacts), so that the costly part, the problem-fix deployments
// of the period with their attributed incidents (pd, as the KPI report's
// kpiAttributed: one index lookup each), is computed once. Everything
// else is grouped from pd, or from its counts per release (rs), never per
// deployment and dimension:
//   - dg: pd's counts by environment, change model, stage reached, status
//     and attributed incident (a few hundred rows), which the environment,
//     change_model and stage_reached groups sum;
//   - rl: pd's releases with their measures (components, problems,
//     commits: those recorded on the release in release_commits, -1 for
//     unknown; frequency: the most problem-fix releases of one of its CIs,
//     cf) and whether one of its deployments may have failed (cand);
//   - rk: the keys of rl's releases in root_cause_category, component
//     and finding_tag (the empty key for none), which rs's counts are joined to;
//   - dc: the checks of pd's deployments (their tallies, one row per check
//     and stage however many measurements: deployment_tallies keeps each
//     check's failed count as the measurements are stored) and whether
//     each failed; "no failed check" is pd's count less those with one.
//
// $1 and $2 are the period, $3 the environment and $4 the CI (empty matches
// every one), $5 – $7 report.FailingStatuses. Columns: kind, s1 – s4,
// i1 – i7; the rows by kind:
//   - 'g' a deployment group: dim, key, status; n, incident (0/1), hit, count
//   - 'ci' a CI's problem-fix releases: s2 the CI, i1 their number
//   - 'f' a deployment that may have failed (a failing status or an
//     attributed incident): env, change model, status, stage ("<current
//     stage> <path JSON>"); id, release, incidents, components, problems,
//     commits, frequency
//   - 'r' a key of the release (i2) of such a deployment: dim, key
//   - 'c' a check of such a deployment (i1): s2 template/check, i3 failed
//   - 'p' a problem group: dim; n, recurred (0/1), i4 count
//   - 'q' a recurred problem (i1) with its measures in i4 – i7 as 'f'.
const patternFactsSQL = `WITH pd AS MATERIALIZED (
	SELECT d.id AS id, d.release_id AS release_id, d.env AS env, d.status AS status, COALESCE(c.change_model, '') AS model,
		CAST(d.current_stage AS TEXT) || ' ' || d.path AS stage, ` + kpiAttributed + ` AS inc
	FROM deployments d JOIN releases r ON r.id = d.release_id LEFT JOIN changes c ON c.id = d.change_id
	WHERE r.type = 'problem-fix' AND ` + kpiDeploymentFilter + `
), dg AS MATERIALIZED (
	SELECT pd.env AS env, pd.model AS model, pd.stage AS stage, pd.status AS status,
		CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END AS inc, COUNT(*) AS n
	FROM pd GROUP BY pd.env, pd.model, pd.stage, pd.status, CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END
), rs AS MATERIALIZED (
	SELECT pd.release_id AS release_id, pd.status AS status, CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END AS inc, COUNT(*) AS n
	FROM pd GROUP BY pd.release_id, pd.status, CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END
), cf AS MATERIALIZED (
	SELECT cv.ci AS ci, COUNT(DISTINCT rs.release_id) AS n FROM rs
	JOIN release_components rc ON rc.release_id = rs.release_id JOIN component_versions cv ON cv.id = rc.component_version_id
	WHERE rs.status <> 'aborted' AND ($4 = '' OR cv.ci = $4) GROUP BY cv.ci
), rl AS MATERIALIZED (
	SELECT rs.release_id AS release_id,
		(SELECT COUNT(*) FROM release_components rc WHERE rc.release_id = rs.release_id) AS comps,
		(SELECT COUNT(*) FROM release_problems rp WHERE rp.release_id = rs.release_id) AS probs,
		COALESCE((SELECT c.commits FROM release_commits c WHERE c.release_id = rs.release_id), -1) AS commits,
		COALESCE((SELECT MAX(cf.n) FROM release_components rc JOIN component_versions cv ON cv.id = rc.component_version_id
			JOIN cf ON cf.ci = cv.ci WHERE rc.release_id = rs.release_id), 0) AS freq,
		MAX(CASE WHEN rs.status IN ($5, $6, $7) OR rs.inc = 1 THEN 1 ELSE 0 END) AS cand
	FROM rs GROUP BY rs.release_id
), rk AS MATERIALIZED (
	SELECT DISTINCT 'root_cause_category' AS dim, rl.release_id AS release_id, COALESCE(p.category, '') AS key, rl.cand AS cand
		FROM rl LEFT JOIN release_problems rp ON rp.release_id = rl.release_id LEFT JOIN problems p ON p.id = rp.problem_id
	UNION ALL SELECT DISTINCT 'component', rl.release_id, COALESCE(cv.ci, ''), rl.cand FROM rl
		LEFT JOIN release_components rc ON rc.release_id = rl.release_id LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
	UNION ALL SELECT DISTINCT 'finding_tag', rl.release_id, t.tag, rl.cand FROM rl
		JOIN pirs x ON x.release_id = rl.release_id JOIN pir_finding_tags t ON t.pir_id = x.id
	UNION ALL SELECT 'finding_tag', rl.release_id, '', rl.cand FROM rl WHERE NOT EXISTS (
		SELECT 1 FROM pirs x JOIN pir_finding_tags t ON t.pir_id = x.id WHERE x.release_id = rl.release_id)
), dc AS MATERIALIZED (
	SELECT pd.id AS id, t.template || '/' || t.check_name AS key, MAX(CASE WHEN t.failed > 0 THEN 1 ELSE 0 END) AS hit,
		pd.status AS status, CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END AS inc
	FROM pd JOIN deployment_tallies t ON t.deployment_id = pd.id
	GROUP BY pd.id, t.template, t.check_name, pd.status, CASE WHEN pd.inc > 0 THEN 1 ELSE 0 END
), rb AS MATERIALIZED (
	SELECT rl.comps AS comps, rl.probs AS probs, rl.commits AS commits, rl.freq AS freq, rs.status AS status, rs.inc AS inc,
		SUM(rs.n) AS n
	FROM rs JOIN rl ON rl.release_id = rs.release_id GROUP BY rl.comps, rl.probs, rl.commits, rl.freq, rs.status, rs.inc
)` + patternProblemsCTE + `
SELECT 'g', 'environment', dg.env, dg.status, '', 0, dg.inc, 1, SUM(dg.n), 0, 0, 0 FROM dg GROUP BY dg.env, dg.status, dg.inc
UNION ALL SELECT 'g', 'change_model', dg.model, dg.status, '', 0, dg.inc, 1, SUM(dg.n), 0, 0, 0 FROM dg
	GROUP BY dg.model, dg.status, dg.inc
UNION ALL SELECT 'g', 'stage_reached', dg.stage, dg.status, '', 0, dg.inc, 1, SUM(dg.n), 0, 0, 0 FROM dg
	GROUP BY dg.stage, dg.status, dg.inc
UNION ALL SELECT 'g', rk.dim, rk.key, rs.status, '', 0, rs.inc, 1, SUM(rs.n), 0, 0, 0 FROM rs JOIN rk ON rk.release_id = rs.release_id
	GROUP BY rk.dim, rk.key, rs.status, rs.inc
UNION ALL SELECT 'g', 'components', '', rb.status, '', rb.comps, rb.inc, 1, SUM(rb.n), 0, 0, 0 FROM rb GROUP BY rb.comps, rb.status, rb.inc
UNION ALL SELECT 'g', 'problems', '', rb.status, '', rb.probs, rb.inc, 1, SUM(rb.n), 0, 0, 0 FROM rb GROUP BY rb.probs, rb.status, rb.inc
UNION ALL SELECT 'g', 'commits', '', rb.status, '', rb.commits, rb.inc, 1, SUM(rb.n), 0, 0, 0 FROM rb
	GROUP BY rb.commits, rb.status, rb.inc
UNION ALL SELECT 'g', 'frequency', '', rb.status, '', rb.freq, rb.inc, 1, SUM(rb.n), 0, 0, 0 FROM rb GROUP BY rb.freq, rb.status, rb.inc
UNION ALL SELECT 'g', 'failing_check', dc.key, dc.status, '', 0, dc.inc, dc.hit, COUNT(*), 0, 0, 0 FROM dc
	GROUP BY dc.key, dc.status, dc.inc, dc.hit
UNION ALL SELECT 'g', 'failing_check', '', x.status, '', 0, x.inc, 1, SUM(x.n), 0, 0, 0 FROM (
	SELECT dg.status AS status, dg.inc AS inc, dg.n AS n FROM dg
	UNION ALL SELECT dc.status, dc.inc, -COUNT(DISTINCT dc.id) FROM dc WHERE dc.hit = 1 GROUP BY dc.status, dc.inc) x
	GROUP BY x.status, x.inc HAVING SUM(x.n) > 0
UNION ALL SELECT 'ci', '', cf.ci, '', '', cf.n, 0, 0, 0, 0, 0, 0 FROM cf
UNION ALL SELECT 'f', pd.env, pd.model, pd.status, pd.stage, pd.id, pd.release_id, pd.inc, rl.comps, rl.probs, rl.commits, rl.freq
	FROM pd JOIN rl ON rl.release_id = pd.release_id WHERE pd.status IN ($5, $6, $7) OR pd.inc > 0
UNION ALL SELECT 'r', rk.dim, rk.key, '', '', 0, rk.release_id, 0, 0, 0, 0, 0 FROM rk WHERE rk.cand = 1
UNION ALL SELECT 'c', '', dc.key, '', '', dc.id, 0, dc.hit, 0, 0, 0, 0 FROM dc WHERE dc.status IN ($5, $6, $7) OR dc.inc > 0
UNION ALL SELECT 'p', 'components', '', '', '', pm.comps, pm.rec, 0, COUNT(*), 0, 0, 0 FROM pm GROUP BY pm.comps, pm.rec
UNION ALL SELECT 'p', 'problems', '', '', '', pm.probs, pm.rec, 0, COUNT(*), 0, 0, 0 FROM pm GROUP BY pm.probs, pm.rec
UNION ALL SELECT 'p', 'commits', '', '', '', pm.commits, pm.rec, 0, COUNT(*), 0, 0, 0 FROM pm GROUP BY pm.commits, pm.rec
UNION ALL SELECT 'p', 'frequency', '', '', '', pm.freq, pm.rec, 0, COUNT(*), 0, 0, 0 FROM pm GROUP BY pm.freq, pm.rec
UNION ALL SELECT 'q', '', '', '', '', pm.id, 0, 0, pm.comps, pm.probs, pm.commits, pm.freq FROM pm WHERE pm.rec = 1`

// patternProblemsCTE are the problems resolved by a deployment in the
// period (fp: found through problem_resolutions_kind_at, the period's
// resolutions, not by a lookup per problem of the history; whether they
// recurred, and the release of their latest resolution by a deployment)
// and their measures (pm): the size of that release, and the release
// frequency (cf) of the busiest of their CIs.
const patternProblemsCTE = `, fp AS MATERIALIZED (
	SELECT p.id AS id, CASE WHEN p.recurrence_count > 0 THEN 1 ELSE 0 END AS rec,
		(SELECT r.release_id FROM problem_resolutions r WHERE r.problem_id = p.id AND r.kind = 'deployment'
			ORDER BY r.id DESC LIMIT 1) AS release_id
	FROM problems p WHERE p.id IN (SELECT r.problem_id FROM problem_resolutions r WHERE r.kind = 'deployment'
		AND r.at >= $1 AND r.at <= $2) AND ` + kpiProblemFilter + `
), pm AS MATERIALIZED (
	SELECT fp.id AS id, fp.rec AS rec, (SELECT COUNT(*) FROM release_components rc WHERE rc.release_id = fp.release_id) AS comps,
		(SELECT COUNT(*) FROM release_problems rp WHERE rp.release_id = fp.release_id) AS probs,
		COALESCE((SELECT c.commits FROM release_commits c WHERE c.release_id = fp.release_id), -1) AS commits,
		COALESCE((SELECT MAX(cf.n) FROM problem_cis pc JOIN cf ON cf.ci = pc.ci WHERE pc.problem_id = fp.id), 0) AS freq
	FROM fp
)`

package store

import "strings"

// The patterns report's queries (report_patterns.go). Each takes $1 the
// start and $2 the end of the period, $3 the environment and $4 the CI (''
// matches every one), like the KPI report's (report_kpi_sql.go).

// patternsCTE is the problem-fix deployments started in the period (pd,
// with their incidents attributed within the watch window) and the
// problem-fix releases per CI among them (cf: the CI's release frequency;
// only the filtered CI when $4 is set).
const patternsCTE = `WITH pd AS MATERIALIZED (
	SELECT d.id AS id, d.release_id AS release_id, d.env AS env, d.status AS status, d.change_id AS change_id,
		d.path AS path, d.current_stage AS stage, ` + kpiAttributed + ` AS inc
	FROM deployments d JOIN releases r ON r.id = d.release_id
	WHERE r.type = 'problem-fix' AND ` + kpiDeploymentFilter + `
), cf AS MATERIALIZED (
	SELECT cv.ci AS ci, COUNT(DISTINCT pd.release_id) AS n FROM pd
	JOIN release_components rc ON rc.release_id = pd.release_id JOIN component_versions cv ON cv.id = rc.component_version_id
	WHERE pd.status <> 'aborted' AND ($4 = '' OR cv.ci = $4) GROUP BY cv.ci
)`

// patternsKeys gives every deployment of {src} (pd, or a subset of it
// with its columns) its keys (k): one row per dimension and key
// (report.PatternDims; an empty key for none), with n the measure of a
// binned dimension and hit whether the key was hit (failing_check: the
// check had a failed measurement; elsewhere 1), and the deployment's
// release, environment, status and attributed incidents, so that k is read
// without a join back. stage_reached's key is "<current stage> <path
// JSON>", named by the store. Commits are those recorded on the release
// (release_commits), -1 (unknown) when none were.
const patternsKeys = `, k AS (
	SELECT 'environment' AS dim, pd.id AS id, pd.env AS key, 0 AS n, 1 AS hit,
		pd.release_id AS release_id, pd.env AS env, pd.status AS status, pd.inc AS inc FROM {src} pd
	UNION ALL SELECT 'change_model', pd.id, COALESCE(c.change_model, ''), 0, 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
		LEFT JOIN changes c ON c.id = pd.change_id
	UNION ALL SELECT DISTINCT 'root_cause_category', pd.id, COALESCE(p.category, ''), 0, 1, pd.release_id, pd.env, pd.status, pd.inc
		FROM {src} pd LEFT JOIN release_problems rp ON rp.release_id = pd.release_id LEFT JOIN problems p ON p.id = rp.problem_id
	UNION ALL SELECT DISTINCT 'component', pd.id, COALESCE(cv.ci, ''), 0, 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
		LEFT JOIN release_components rc ON rc.release_id = pd.release_id LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
	UNION ALL SELECT 'stage_reached', pd.id, CAST(pd.stage AS TEXT) || ' ' || pd.path, 0, 1, pd.release_id, pd.env, pd.status, pd.inc
		FROM {src} pd
	UNION ALL SELECT 'failing_check', pd.id, m.template || '/' || m.check_name, 0, MAX(CASE WHEN m.outcome = 'failed' THEN 1 ELSE 0 END),
		pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd JOIN deployment_measurements m ON m.deployment_id = pd.id
		GROUP BY pd.id, pd.release_id, pd.env, pd.status, pd.inc, m.template, m.check_name
	UNION ALL SELECT 'failing_check', pd.id, '', 0, 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd WHERE NOT EXISTS (
		SELECT 1 FROM deployment_measurements m WHERE m.deployment_id = pd.id AND m.outcome = 'failed')
	UNION ALL SELECT DISTINCT 'finding_tag', pd.id, t.tag, 0, 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
		JOIN pirs x ON x.release_id = pd.release_id JOIN pir_finding_tags t ON t.pir_id = x.id
	UNION ALL SELECT 'finding_tag', pd.id, '', 0, 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd WHERE NOT EXISTS (
		SELECT 1 FROM pirs x JOIN pir_finding_tags t ON t.pir_id = x.id WHERE x.release_id = pd.release_id)
	UNION ALL SELECT 'components', pd.id, '', (SELECT COUNT(*) FROM release_components rc WHERE rc.release_id = pd.release_id), 1,
		pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
	UNION ALL SELECT 'problems', pd.id, '', (SELECT COUNT(*) FROM release_problems rp WHERE rp.release_id = pd.release_id), 1,
		pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
	UNION ALL SELECT 'commits', pd.id, '', COALESCE((SELECT c.commits FROM release_commits c WHERE c.release_id = pd.release_id), -1), 1,
		pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
	UNION ALL SELECT 'frequency', pd.id, '', COALESCE(MAX(cf.n), 0), 1, pd.release_id, pd.env, pd.status, pd.inc FROM {src} pd
		LEFT JOIN release_components rc ON rc.release_id = pd.release_id LEFT JOIN component_versions cv ON cv.id = rc.component_version_id
		LEFT JOIN cf ON cf.ci = cv.ci GROUP BY pd.id, pd.release_id, pd.env, pd.status, pd.inc
)`

// keysOf is patternsKeys over the deployments of CTE src.
func keysOf(src string) string { return strings.ReplaceAll(patternsKeys, "{src}", src) }

// patternBucketSQL lists the deployments of pd under their keys of one
// dimension ($5), in id order: the rows a bucket's deployments are picked
// from (report.BucketDeployments).
var patternBucketSQL = patternsCTE + keysOf("pd") + `
SELECT k.key, k.n, k.hit, k.id, k.release_id, k.env, k.status, k.inc FROM k
WHERE k.dim = $5 ORDER BY k.id, k.key`

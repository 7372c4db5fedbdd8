-- +goose Up
-- Why: the rollout engine decides each step of a deployment's analysis from the tally of each check's
-- measurements in the current stage (analysis.Tally: how many of each outcome, the runs of consecutive
-- errors, the last times and messages), not from the measurements themselves: reading all of them at
-- every step cost 17 % of the process's CPU after minutes of analysis and grows with the stage (a check
-- every second for an hour is 3,600 rows a step; bench/README.md, sessions 6 and 7). Each measurement's
-- insert updates its check's tally in the same transaction (store/deployment_measurements.go); the
-- tallies of the measurements stored before this migration are computed here.
CREATE TABLE deployment_tallies (
    deployment_id     BIGINT NOT NULL REFERENCES deployments(id),
    stage             TEXT NOT NULL,
    template          TEXT NOT NULL,
    check_name        TEXT NOT NULL,
    measurements      INTEGER NOT NULL,
    successful        INTEGER NOT NULL,
    failed            INTEGER NOT NULL,
    inconclusive      INTEGER NOT NULL,
    error_run         INTEGER NOT NULL,
    longest_error_run INTEGER NOT NULL,
    last_failed       TEXT NOT NULL,
    last_error        TEXT NOT NULL,
    last_at           TIMESTAMPTZ NOT NULL,
    last_failure_at   TIMESTAMPTZ,
    latest_at         TIMESTAMPTZ NOT NULL,
    latest_error      BOOLEAN NOT NULL,
    PRIMARY KEY (deployment_id, stage, template, check_name)
);
INSERT INTO deployment_tallies (deployment_id, stage, template, check_name, measurements, successful, failed, inconclusive,
    error_run, longest_error_run, last_failed, last_error, last_at, last_failure_at, latest_at, latest_error)
SELECT k.deployment_id, k.stage, k.template, k.check_name, k.n, k.successful, k.failed, k.inconclusive,
    (SELECT COUNT(*) FROM deployment_measurements m WHERE m.deployment_id = k.deployment_id AND m.stage = k.stage
        AND m.template = k.template AND m.check_name = k.check_name AND m.outcome = 'error'
        AND m.id > COALESCE((SELECT MAX(x.id) FROM deployment_measurements x WHERE x.deployment_id = k.deployment_id
            AND x.stage = k.stage AND x.template = k.template AND x.check_name = k.check_name AND x.outcome <> 'error'), 0)),
    COALESCE((SELECT MAX(r.n) FROM (SELECT COUNT(*) AS n FROM (SELECT w.outcome,
            SUM(CASE WHEN w.outcome <> 'error' THEN 1 ELSE 0 END) OVER (ORDER BY w.id) AS grp
            FROM deployment_measurements w WHERE w.deployment_id = k.deployment_id AND w.stage = k.stage
            AND w.template = k.template AND w.check_name = k.check_name) g
        WHERE g.outcome = 'error' GROUP BY g.grp) r), 0),
    COALESCE((SELECT m.message FROM deployment_measurements m WHERE m.deployment_id = k.deployment_id AND m.stage = k.stage
        AND m.template = k.template AND m.check_name = k.check_name AND m.outcome = 'failed' ORDER BY m.id DESC LIMIT 1), ''),
    COALESCE((SELECT m.message FROM deployment_measurements m WHERE m.deployment_id = k.deployment_id AND m.stage = k.stage
        AND m.template = k.template AND m.check_name = k.check_name AND m.outcome = 'error' ORDER BY m.id DESC LIMIT 1), ''),
    (SELECT m.at FROM deployment_measurements m WHERE m.id = k.last_id),
    (SELECT m.at FROM deployment_measurements m WHERE m.deployment_id = k.deployment_id AND m.stage = k.stage
        AND m.template = k.template AND m.check_name = k.check_name AND m.outcome IN ('failed', 'error') ORDER BY m.id DESC LIMIT 1),
    k.latest_at,
    (SELECT m.outcome = 'error' FROM deployment_measurements m WHERE m.deployment_id = k.deployment_id AND m.stage = k.stage
        AND m.template = k.template AND m.check_name = k.check_name AND m.at = k.latest_at ORDER BY m.id LIMIT 1)
FROM (SELECT deployment_id, stage, template, check_name, COUNT(*) AS n,
        SUM(CASE WHEN outcome = 'successful' THEN 1 ELSE 0 END) AS successful,
        SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS failed,
        SUM(CASE WHEN outcome = 'inconclusive' THEN 1 ELSE 0 END) AS inconclusive,
        MAX(id) AS last_id, MAX(at) AS latest_at
    FROM deployment_measurements GROUP BY deployment_id, stage, template, check_name) k;

-- +goose Down
DROP TABLE deployment_tallies;

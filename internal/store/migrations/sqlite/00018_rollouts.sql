-- +goose Up
-- Why: deployments are now driven by the rollout engine (issue 11) instead of hand moves. A deployment keeps
-- the driver that carries its actions, the gate evaluation that let it start (or blocked it), what a rollback
-- restores, its stage and watch times and the times reports need (first failure, rollback decided and done,
-- verified); a lease (holder, until) so that of several replicas exactly one steps it; next_step_at, indexed,
-- so the engine finds due deployments without scanning; promote_requested for `deploy promote`.
-- deployment_actions records each driver action before it is called and after it returns, so a restart never
-- repeats a succeeded action; deployment_measurements keeps every measurement of the analysis.
ALTER TABLE deployments ADD COLUMN driver TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN gate_id BIGINT;
ALTER TABLE deployments ADD COLUMN previous_version TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN stage_started_at TEXT;
ALTER TABLE deployments ADD COLUMN promote_requested BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE deployments ADD COLUMN pause_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN rollback_cause TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN watch_until TEXT;
ALTER TABLE deployments ADD COLUMN first_failure_at TEXT;
ALTER TABLE deployments ADD COLUMN rollback_decided_at TEXT;
ALTER TABLE deployments ADD COLUMN rollback_done_at TEXT;
ALTER TABLE deployments ADD COLUMN verified_at TEXT;
ALTER TABLE deployments ADD COLUMN next_step_at TEXT;
ALTER TABLE deployments ADD COLUMN lease_holder TEXT NOT NULL DEFAULT '';
ALTER TABLE deployments ADD COLUMN lease_until TEXT;
CREATE INDEX deployments_next_step ON deployments(next_step_at) WHERE next_step_at IS NOT NULL;

CREATE TABLE deployment_actions (
    id              INTEGER PRIMARY KEY,
    deployment_id   BIGINT NOT NULL REFERENCES deployments(id),
    seq             INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    stage           INTEGER NOT NULL,
    weight          INTEGER NOT NULL,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    started_at      TEXT,
    finished_at     TEXT,
    log             TEXT NOT NULL DEFAULT '',
    key             TEXT NOT NULL,
    UNIQUE (deployment_id, seq)
);

CREATE TABLE deployment_measurements (
    id            INTEGER PRIMARY KEY,
    deployment_id BIGINT NOT NULL REFERENCES deployments(id),
    stage         TEXT NOT NULL,
    template      TEXT NOT NULL,
    check_name    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    at            TEXT NOT NULL,
    query         TEXT NOT NULL DEFAULT '',
    value         TEXT NOT NULL DEFAULT 'null',
    outcome       TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    records       TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX deployment_measurements_dep ON deployment_measurements(deployment_id, id);

-- +goose Down
DROP TABLE deployment_measurements;
DROP TABLE deployment_actions;
DROP INDEX deployments_next_step;
ALTER TABLE deployments DROP COLUMN driver;
ALTER TABLE deployments DROP COLUMN gate_id;
ALTER TABLE deployments DROP COLUMN previous_version;
ALTER TABLE deployments DROP COLUMN stage_started_at;
ALTER TABLE deployments DROP COLUMN promote_requested;
ALTER TABLE deployments DROP COLUMN pause_reason;
ALTER TABLE deployments DROP COLUMN rollback_cause;
ALTER TABLE deployments DROP COLUMN watch_until;
ALTER TABLE deployments DROP COLUMN first_failure_at;
ALTER TABLE deployments DROP COLUMN rollback_decided_at;
ALTER TABLE deployments DROP COLUMN rollback_done_at;
ALTER TABLE deployments DROP COLUMN verified_at;
ALTER TABLE deployments DROP COLUMN next_step_at;
ALTER TABLE deployments DROP COLUMN lease_holder;
ALTER TABLE deployments DROP COLUMN lease_until;

-- +goose Up
-- Why: the feedback loop needs the alerts it received (de-duplicated by Alertmanager's fingerprint + startsAt +
-- status, with what they matched and were attributed to), the signature that linked an incident to its problem,
-- signatures that can be withdrawn without losing what they matched (soft delete), confirmations of a fix by an
-- independent validator before closure, an outbox of notifications written in the same transaction as the event
-- (delivered later by the webhook worker), and leases so that each background job step runs on one replica.
CREATE TABLE signals (
    id           INTEGER PRIMARY KEY,
    dedup_key    TEXT NOT NULL UNIQUE,
    fingerprint  TEXT NOT NULL,
    status       TEXT NOT NULL,
    labels       TEXT NOT NULL DEFAULT '{}',
    starts_at    TEXT NOT NULL,
    ends_at      TEXT,
    received_at  TEXT NOT NULL,
    incident_id  BIGINT REFERENCES incidents(id),
    problem_id   BIGINT REFERENCES problems(id),
    signature_id BIGINT,
    decision     TEXT NOT NULL DEFAULT '',
    deployments  TEXT NOT NULL DEFAULT '[]',
    env          TEXT NOT NULL DEFAULT '',
    ci           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signals_problem ON signals(problem_id, starts_at);
CREATE INDEX signals_fingerprint ON signals(fingerprint, id);

ALTER TABLE incidents ADD COLUMN signature_id BIGINT;
ALTER TABLE problem_signatures ADD COLUMN removed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE problem_signatures ADD COLUMN removed_at TEXT;

CREATE TABLE problem_confirmations (
    id          INTEGER PRIMARY KEY,
    problem_id  BIGINT NOT NULL REFERENCES problems(id),
    problem_rev BIGINT NOT NULL,
    validator   TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX problem_confirmations_problem ON problem_confirmations(problem_id, at);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    dedup_key       TEXT UNIQUE,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at    TEXT,
    lease_until     TEXT,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE delivered_at IS NULL;

CREATE TABLE job_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL DEFAULT '',
    lease_until TEXT
);

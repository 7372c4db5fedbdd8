-- +goose Up
-- Why: the policy the gate runs with is versioned in the database (every replica reads the same one, an
-- auditor can read any past version), and each gate evaluation is kept with its verdict, the revisions of
-- the records it read and the policy version, so one can see later why a deployment was allowed.
CREATE TABLE policies (
    version    INTEGER PRIMARY KEY,
    yaml       TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE gate_evaluations (
    id              INTEGER PRIMARY KEY,
    release_id      BIGINT NOT NULL REFERENCES releases(id),
    env             TEXT NOT NULL REFERENCES environments(name),
    at              TEXT NOT NULL,
    decision        TEXT NOT NULL,
    risk_class      TEXT NOT NULL DEFAULT '',
    verdict         TEXT NOT NULL,
    input_revisions TEXT NOT NULL DEFAULT '{}',
    policy_version  BIGINT NOT NULL,
    policy_hash     TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE INDEX gate_evaluations_release ON gate_evaluations(release_id, id);

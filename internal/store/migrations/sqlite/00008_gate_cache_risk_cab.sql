-- +goose Up
-- Why: (1) the gate reads the slowly changing catalogue (CIs, their dependencies, component versions) from
-- an in-memory snapshot; catalogue_version is bumped in the same transaction by every write to those
-- tables, and a snapshot is used only while its version is the current one, so a just-revoked component
-- is never missed. (2) A change keeps the risk class the policy computed beside the class in force, and
-- an override's justification and author (an override is audited). (3) CAB meetings: scheduled time and
-- attendees; approvals decided in a meeting link to it. (4) RCA validations keep the validator's comment
-- and role, beside the problem's validated_by/at.
CREATE TABLE catalogue_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO catalogue_version (id, version) VALUES (1, 0);
ALTER TABLE changes ADD COLUMN risk_computed TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN risk_justification TEXT NOT NULL DEFAULT '';
ALTER TABLE changes ADD COLUMN risk_override_by TEXT NOT NULL DEFAULT '';
CREATE TABLE cab_meetings (
    id           INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    attendees    TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    rev          BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
ALTER TABLE approvals ADD COLUMN meeting_id BIGINT REFERENCES cab_meetings(id);
CREATE TABLE rca_validations (
    id          INTEGER PRIMARY KEY,
    problem_id  BIGINT NOT NULL REFERENCES problems(id),
    problem_rev BIGINT NOT NULL,
    validator   TEXT NOT NULL,
    role        TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX rca_validations_problem ON rca_validations(problem_id, id);

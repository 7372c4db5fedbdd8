-- +goose Up
-- Why: a problem is resolved by a problem-fix release that succeeded in production or, by hand, through a
-- deviation approved by another problem manager (issue 9). Each resolution is a row naming how: the
-- deployment and release, or the deviation's reason, approver and requester; deviations are reported with
-- those of changes. A recurrence (or a new RCA) withdraws the RCA's validation: the validation rows stay
-- and say when and why they were withdrawn.
CREATE TABLE problem_resolutions (
    id            INTEGER PRIMARY KEY,
    problem_id    BIGINT NOT NULL REFERENCES problems(id),
    problem_rev   BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    deployment_id BIGINT REFERENCES deployments(id),
    release_id    BIGINT REFERENCES releases(id),
    reason        TEXT NOT NULL DEFAULT '',
    approved_by   TEXT NOT NULL DEFAULT '',
    requested_by  TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX problem_resolutions_problem ON problem_resolutions(problem_id, id);
CREATE INDEX problem_resolutions_kind ON problem_resolutions(kind, id);
ALTER TABLE rca_validations ADD COLUMN withdrawn_at TEXT;
ALTER TABLE rca_validations ADD COLUMN withdrawn_reason TEXT NOT NULL DEFAULT '';

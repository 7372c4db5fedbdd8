-- +goose Up
-- Why: control assessments (issue 14, seed 6.4) are records: `fixgate report controls --period 2026-Q3`
-- and the monthly job store each assessment (ASSESS-n) with every control's result, sample size and
-- exceptions as they were when assessed, so auditors compare periods and an export cites what was
-- found then, not a recomputation over records changed since. The audit event of its creation
-- carries the same results, so the hash chain covers them.
CREATE TABLE assessments (
    id          INTEGER PRIMARY KEY,
    period      TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to   TEXT NOT NULL,
    passed      BOOLEAN NOT NULL,
    results     TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX assessments_period ON assessments(period, id);

-- +goose Down
DROP TABLE assessments;

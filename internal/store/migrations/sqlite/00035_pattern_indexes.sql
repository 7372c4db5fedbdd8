-- +goose Up
-- Why: the failure-patterns report (issue 14, store.PatternsReport) counts the problems resolved by a
-- deployment in the period. Without an index ordered by (kind, at) it looked each problem of the whole
-- history up in problem_resolutions (50k lookups for the 7k problems resolved in the bench's year,
-- and as many for a 90-day period: the cost grew with the history, not the period); with it the
-- period's resolutions are one index range (bench/README.md, session 8).
CREATE INDEX problem_resolutions_kind_at ON problem_resolutions(kind, at, problem_id);
-- Why: with the index above, SQLite answered a problem's own resolutions of one kind (the KPI report's
-- "first resolution by a deployment" per problem, WHERE problem_id = ? AND kind = ?) through (kind, ...),
-- reading every deployment resolution of the history for each problem (the KPI report went from 5.9 to
-- 15.8 x its raw aggregate in the bench); this index answers it from the problem's own rows.
CREATE INDEX problem_resolutions_problem_kind ON problem_resolutions(problem_id, kind, at);
-- Why: the report bins a release's size by its commits, which fixgate did not know (every release was
-- "unknown"): a client that walked the release's git range records the range and its commit count
-- (store.SetReleaseCommits, audited as release.commits; the server never reads a repository). One row
-- per release, replaced when the range is recorded again.
CREATE TABLE release_commits (
    release_id  BIGINT PRIMARY KEY REFERENCES releases(id),
    from_ref    TEXT NOT NULL,
    to_ref      TEXT NOT NULL,
    commits     BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE release_commits;
DROP INDEX problem_resolutions_problem_kind;
DROP INDEX problem_resolutions_kind_at;

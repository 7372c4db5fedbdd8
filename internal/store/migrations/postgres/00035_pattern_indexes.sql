-- +goose Up
-- Why: the failure-patterns report (issue 14, store.PatternsReport) counts the problems resolved by a
-- deployment in the period. Without an index ordered by (kind, at) it looked each problem of the whole
-- history up in problem_resolutions (50k lookups for the 7k problems resolved in the bench's year,
-- and as many for a 90-day period: the cost grew with the history, not the period); with it the
-- period's resolutions are one index range (bench/README.md, session 8).
CREATE INDEX problem_resolutions_kind_at ON problem_resolutions(kind, at, problem_id);

-- +goose Down
DROP INDEX problem_resolutions_kind_at;

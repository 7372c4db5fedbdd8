-- +goose Up
-- Why: the KPI report's largest sample is the time to resolve of every resolved incident of its period,
-- read as a histogram of whole seconds (issue 14; bench -case kpi, 1M incidents). Computed from the two
-- times per row, each row paid the interval arithmetic and EXTRACT, and the histogram read resolved_at from
-- the table. resolve_seconds is the same expression as a generated column (STORED: PostgreSQL has no
-- virtual ones; adding it rewrites the table once, under an exclusive lock: about 10 s per million
-- incidents here), never written by the store, so it cannot disagree with the times. The indexes are the
-- SQLite twin's (the schemas stay equal): incidents_opened_mttr replaces incidents_opened_cover (00033) and
-- answers the period's histogram from the index alone; incidents_resolve_seconds is SQLite's sort-free path.
ALTER TABLE incidents ADD COLUMN resolve_seconds BIGINT
    GENERATED ALWAYS AS (CAST(ROUND(EXTRACT(EPOCH FROM (resolved_at - opened_at))) AS BIGINT)) STORED;
CREATE INDEX incidents_resolve_seconds ON incidents(resolve_seconds, opened_at);
CREATE INDEX incidents_opened_mttr ON incidents(opened_at, resolve_seconds, env, ci, problem_id);
DROP INDEX incidents_opened_cover;

-- +goose Down
CREATE INDEX incidents_opened_cover ON incidents(opened_at, resolved_at, env, ci, problem_id);
DROP INDEX incidents_opened_mttr;
DROP INDEX incidents_resolve_seconds;
ALTER TABLE incidents DROP COLUMN resolve_seconds;

-- +goose Up
-- Why: the page benchmark (issue 12) now renders every filter of every page on the 1M-incident history,
-- and four filters had no index ordered as their page reads, so their pages grew with the history:
-- - the audit log filtered by record type alone ("every event of policies, of tokens") is newest first:
--   without (record_type, at, seq) the database walked the whole log by time checking each event's
--   type (11 s on PostgreSQL for record_type=problem behind 1M incident events); it also drives a
--   page combining the type with an actor or an action (store.ListAuditPage);
-- - the releases list filtered by type ("feature releases") is newest first: without (type, id)
--   every release was read;
-- - the problems list filtered by CI reads the CI's problems in id order from the cursor (a join on
--   problem_cis): (ci, problem_id) replaces (ci), whose order (ci, rowid) made SQLite list every
--   problem of the CI before the first page;
-- - the problems list filtered by priority is in id order: without (priority, id) a rare priority
--   read the problems of all the others.
CREATE INDEX audit_events_type_at ON audit_events(record_type, at, seq);
CREATE INDEX releases_type ON releases(type, id);
DROP INDEX problem_cis_ci;
CREATE INDEX problem_cis_ci_problem ON problem_cis(ci, problem_id);
CREATE INDEX problems_priority ON problems(priority, id);

-- +goose Down
DROP INDEX problems_priority;
DROP INDEX problem_cis_ci_problem;
CREATE INDEX problem_cis_ci ON problem_cis(ci);
DROP INDEX releases_type;
DROP INDEX audit_events_type_at;

-- +goose Up
-- Why: two list filters read every row they select before the first page (issue 12's page benchmark):
-- - the problems list filtered by environment (GET /api/v1/problems?env=) is in id order and may drive a
--   page combining filters (store.ListProblemsPage: each filter is counted past the cursor through its
--   own index in id order, and the rarest reads the page). problem_envs had only (env), ordered within an
--   environment by the row's place (rowid on SQLite, heap order on PostgreSQL), not by problem: an
--   environment's problems were all read and sorted first. (env, problem_id) replaces it, as 00032 did
--   for problem_cis.
-- - the known errors filtered by a label (GET /known-errors?label=ci=checkout-api) are in id order; the
--   label's rows were all listed through (name, value) first (half the catalogue for a busy CI).
--   (name, value, known_error_id) replaces it: the first label's rows drive the page in id order.
DROP INDEX problem_envs_env;
CREATE INDEX problem_envs_env_problem ON problem_envs(env, problem_id);
DROP INDEX known_error_labels_pair;
CREATE INDEX known_error_labels_pair_ke ON known_error_labels(name, value, known_error_id);

-- +goose Down
DROP INDEX known_error_labels_pair_ke;
CREATE INDEX known_error_labels_pair ON known_error_labels(name, value);
DROP INDEX problem_envs_env_problem;
CREATE INDEX problem_envs_env ON problem_envs(env);

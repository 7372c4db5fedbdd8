-- +goose Up
-- Why: the problems list filtered by environment (GET /api/v1/problems?env=) is in id order and may
-- drive a page combining filters (store.ListProblemsPage: each filter is counted past the cursor
-- through its own index in id order, and the rarest reads the page). problem_envs had only (env),
-- ordered within an environment by the row's place (rowid on SQLite, heap order on PostgreSQL), not
-- by problem: an environment's problems were all read and sorted before the first page.
-- (env, problem_id) replaces it, as 00032 did for problem_cis.
DROP INDEX problem_envs_env;
CREATE INDEX problem_envs_env_problem ON problem_envs(env, problem_id);

-- +goose Down
DROP INDEX problem_envs_env_problem;
CREATE INDEX problem_envs_env ON problem_envs(env);

-- +goose Up
-- Why: GET /api/v1/problems/{id} is the hottest read; aggregating its CIs and environments from the link
-- tables on every read was a third of its cost. The row keeps a comma-separated copy (names never contain
-- commas), written in the same transaction as the link tables, which stay for filtering.
ALTER TABLE problems ADD COLUMN cis_list TEXT NOT NULL DEFAULT '';
ALTER TABLE problems ADD COLUMN envs_list TEXT NOT NULL DEFAULT '';
UPDATE problems SET
    cis_list = COALESCE((SELECT string_agg(ci, ',' ORDER BY ci) FROM problem_cis WHERE problem_id = problems.id), ''),
    envs_list = COALESCE((SELECT string_agg(env, ',' ORDER BY env) FROM problem_envs WHERE problem_id = problems.id), '');

-- +goose Up
-- Why (1): a post-implementation review stores the evaluation of its fix's success criteria (issue 14, seed
-- 5.1: each target of the change model's policy with want, got and pass / fail / pending / not_evaluable)
-- beside its computed KPIs, when it computes them (created, KPIs refreshed), so that a later change of the
-- policy's targets does not rewrite what the review found; the KPI report reads the stored outcome. JSON of
-- pir.Evaluation; '' when nothing was evaluated.
ALTER TABLE pirs ADD COLUMN targets TEXT NOT NULL DEFAULT '';
-- Why (2): the KPI report's largest samples are the incidents of its period: the time to resolve of every
-- resolved one, and their count per problem. With only (opened_at) each of them was a table lookup
-- (bench -case kpi, SQLite: counting the 900k resolved incidents of 1M took 1.1 s through it and 0.19 s
-- through a covering index, same session); this index holds every column those queries read, and replaces
-- incidents_opened (00025), whose column it leads with.
CREATE INDEX incidents_opened_cover ON incidents(opened_at, resolved_at, env, ci, problem_id);
DROP INDEX incidents_opened;

-- +goose Down
CREATE INDEX incidents_opened ON incidents(opened_at);
DROP INDEX incidents_opened_cover;
ALTER TABLE pirs DROP COLUMN targets;

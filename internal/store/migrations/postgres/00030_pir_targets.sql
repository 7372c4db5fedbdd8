-- +goose Up
-- Why: a post-implementation review stores the evaluation of its fix's success criteria (issue 14, seed
-- 5.1: each target of the change model's policy with want, got and pass / fail / pending /
-- not_evaluable) beside its computed KPIs, when it computes them (created, KPIs refreshed), so that a
-- later change of the policy's targets does not rewrite what the review found; the KPI report reads the
-- stored outcome. JSON of pir.Evaluation; '' when nothing was evaluated.
ALTER TABLE pirs ADD COLUMN targets TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE pirs DROP COLUMN targets;

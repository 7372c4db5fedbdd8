-- +goose Up
-- Why: the KPI report (issue 14) bounds every figure by its period. The change failure rate counts, per
-- deployment started in the period, the incidents attributed to it: without (deployment_id) that is a scan of
-- every incident per deployment. Deployments by started_at and incidents by opened_at let the period's
-- deployments and incidents be read without the whole history (the existing incident indexes lead with ci or
-- status).
CREATE INDEX incidents_deployment ON incidents(deployment_id, opened_at) WHERE deployment_id IS NOT NULL;
CREATE INDEX incidents_opened ON incidents(opened_at);
CREATE INDEX deployments_started ON deployments(started_at);

-- +goose Down
DROP INDEX deployments_started;
DROP INDEX incidents_opened;
DROP INDEX incidents_deployment;

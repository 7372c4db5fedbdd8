-- +goose Up
-- Why: a deployment's event log is read by people on its own (outside the audit trail); each entry must say
-- who wrote it (a pipeline, a release manager) and at which stage of the rollout it happened.
ALTER TABLE deployment_events ADD COLUMN actor TEXT NOT NULL DEFAULT '';
ALTER TABLE deployment_events ADD COLUMN stage TEXT NOT NULL DEFAULT '';

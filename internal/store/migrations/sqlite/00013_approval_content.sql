-- +goose Up
-- Why: an approval counted only on the record revision it was given on, and every lifecycle move (approved →
-- deploying → deployed) raises the revision, so moving a release made its CAB approval stale. Approvals now
-- bind to WHAT was approved: the fingerprint (hex SHA-256) of the release's version, type, problems,
-- components and packages, or of the change's type, release, env, change model and window. A status move
-- keeps it, a content edit changes it. Rows recorded before keep '' and bind to their revision, as before.
ALTER TABLE approvals ADD COLUMN record_content TEXT NOT NULL DEFAULT '';

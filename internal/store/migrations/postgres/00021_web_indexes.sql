-- +goose Up
-- Why: the web UI's deployment list (issue 12) shows deployments newest first, filtered by environment or
-- status, and the admin page lists live sessions; without these indexes those pages would read the whole
-- deployment or session history to fill one page. (env, id) and (status, id) serve `WHERE env = ? AND id < ?
-- ORDER BY id DESC LIMIT n`; sessions_live holds only sessions not yet ended, ordered by expiry, so listing
-- the live ones reads only those.
CREATE INDEX deployments_env_id ON deployments(env, id);
CREATE INDEX deployments_status_id ON deployments(status, id);
CREATE INDEX sessions_live ON sessions(expires_at, id) WHERE ended_at IS NULL;

-- +goose Down
DROP INDEX sessions_live;
DROP INDEX deployments_status_id;
DROP INDEX deployments_env_id;

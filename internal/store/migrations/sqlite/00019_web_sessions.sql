-- +goose Up
-- Why: the web UI (issue 12) signs people in with a password or single sign-on instead of a bearer token.
-- A user may have a password, stored only as its argon2id hash (PHC string). A session is a random id kept
-- only as its SHA-256 (like tokens), with the times that bound it (idle, absolute), how it began (password,
-- oidc) and why it ended (sign-out, expiry, a change of the user's roles, password or tokens). Sessions are
-- records an admin lists and ends, so they keep their rows after they end.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT '';
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    hash          TEXT NOT NULL UNIQUE,
    user_name     TEXT NOT NULL REFERENCES users(name),
    roles         TEXT NOT NULL,
    method        TEXT NOT NULL,
    remote_addr   TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    idle_until    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ended_at      TEXT,
    ended_reason  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_name) WHERE ended_at IS NULL;

-- +goose Down
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN password_hash;

-- +goose Up
-- Why: single sign-on with OpenID Connect (issue 12). A user created or updated by a sign-in is linked to
-- the identity that signed in (the provider's issuer and subject, which the provider keeps stable and
-- unique), so a person whose provider lets them pick their username cannot take over a local account or
-- another person's: a sign-in whose username names an account linked to no identity, or to another, is
-- refused. A sign-in under way (between the redirect to the provider and its callback) keeps its state,
-- nonce and PKCE verifier in oidc_logins, keyed by the SHA-256 of a random id in a short-lived cookie:
-- in the database rather than in one process's memory so the callback may reach any replica. A row lives
-- ten minutes at most and is deleted when its callback uses it.
ALTER TABLE users ADD COLUMN oidc_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_oidc_subject ON users(oidc_subject) WHERE oidc_subject <> '';
CREATE TABLE oidc_logins (
    hash        TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    nonce       TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    next_path   TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_logins_expires ON oidc_logins(expires_at);

-- +goose Down
DROP TABLE oidc_logins;
DROP INDEX users_oidc_subject;
ALTER TABLE users DROP COLUMN oidc_subject;

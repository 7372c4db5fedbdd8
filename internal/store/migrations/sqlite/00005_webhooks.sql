-- +goose Up
-- Why: outgoing webhooks need their subscriptions (the secret is kept to sign deliveries and never returned; a
-- deleted subscription is kept, marked deleted, so its delivery log stays readable) and a delivery log with one
-- row per attempt per subscription; "already delivered to this subscription?" is answered by (outbox_id, webhook_id).
CREATE TABLE webhooks (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL DEFAULT '[]',
    secret        TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    allow_private BOOLEAN NOT NULL DEFAULT FALSE,
    rev           BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    deleted_at    TEXT
);
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY,
    webhook_id  BIGINT NOT NULL REFERENCES webhooks(id),
    outbox_id   BIGINT NOT NULL REFERENCES outbox(id),
    attempt     INTEGER NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL,
    duration_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_outbox ON webhook_deliveries(outbox_id, webhook_id);

-- +goose Up
-- Why: pipelines poll the gate, and an evaluation whose inputs did not change since the previous one
-- should not gather and judge them again, nor store the same few kilobytes of input revisions again.
-- audit_head.data_version counts the committed transactions that changed something the gate reads
-- (every audited write except gate evaluations, signals, incidents, known errors, PIRs, webhooks,
-- tokens and refused requests); it is bumped in the same UPDATE that appends to the audit chain, so it
-- costs no extra statement. A replica reuses a gathered input only while the version it read with it
-- is still current. Input revisions are stored once per distinct set, by SHA-256 digest.
ALTER TABLE audit_head ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE gate_inputs (
    digest     TEXT PRIMARY KEY,
    revisions  TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE gate_evaluations ADD COLUMN input_digest TEXT NOT NULL DEFAULT '';

-- +goose Up
-- Why: a polled gate gives the same verdict (rules, reasons, records) for every call within a minute (the
-- maintenance-window reason names the minute), and the verdict was ~2 kB of every evaluation row: most of
-- the bytes each evaluation wrote. Verdicts are now stored once per distinct text, by SHA-256 digest (the
-- digest the audit event already pins); the evaluation row keeps the digest and its own times (at is a
-- column already; evaluated_at is new, NULL on older rows, whose verdict column holds the whole verdict).
CREATE TABLE gate_verdicts (
    digest     TEXT PRIMARY KEY,
    verdict    TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE gate_evaluations ADD COLUMN verdict_digest TEXT NOT NULL DEFAULT '';
ALTER TABLE gate_evaluations ADD COLUMN evaluated_at TEXT;

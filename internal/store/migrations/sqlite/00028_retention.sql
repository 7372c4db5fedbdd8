-- +goose Up
-- Why: retention is enforced now (issue 13). The policy's retention_classes are the one list of class names;
-- the API's old list standard / audit-long / permanent is retired, and its one name the default policy does
-- not have, audit-long (evidence for auditors, kept longer than standard), becomes regulated (7 years).
-- A legal hold on an artifact or on a release keeps its bytes past their expiry; the artifact gains a
-- revision for compare-and-set. A purged artifact keeps its row as a tombstone (purged_at, purged_by): the
-- releases and RCAs that reference it still say what it was, and the audit trail says when it went.
UPDATE artifacts SET retention_class = 'regulated' WHERE retention_class = 'audit-long';
ALTER TABLE artifacts ADD COLUMN rev BIGINT NOT NULL DEFAULT 1;
ALTER TABLE artifacts ADD COLUMN hold_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE artifacts ADD COLUMN held_by TEXT NOT NULL DEFAULT '';
ALTER TABLE artifacts ADD COLUMN held_at TEXT;
ALTER TABLE artifacts ADD COLUMN purged_at TEXT;
ALTER TABLE artifacts ADD COLUMN purged_by TEXT NOT NULL DEFAULT '';
CREATE TABLE release_holds (
    release_id BIGINT PRIMARY KEY REFERENCES releases(id),
    reason     TEXT NOT NULL,
    held_by    TEXT NOT NULL,
    held_at    TEXT NOT NULL
);

-- +goose Down
DROP TABLE release_holds;
ALTER TABLE artifacts DROP COLUMN purged_by;
ALTER TABLE artifacts DROP COLUMN purged_at;
ALTER TABLE artifacts DROP COLUMN held_at;
ALTER TABLE artifacts DROP COLUMN held_by;
ALTER TABLE artifacts DROP COLUMN hold_reason;
ALTER TABLE artifacts DROP COLUMN rev;

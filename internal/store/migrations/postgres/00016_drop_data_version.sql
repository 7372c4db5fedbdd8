-- +goose Up
-- Why: audit_head.data_version counted the commits that changed what the gate reads, for the gate's
-- snapshot reuse. The gate now gathers its input on every call and nothing reads the column.
ALTER TABLE audit_head DROP COLUMN data_version;

-- +goose Down
ALTER TABLE audit_head ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;

-- +goose Up
-- Why: known-error search by label needs exact, case-sensitive matches that one SQL string can express on
-- both databases (a LIKE over the JSON column is case-insensitive on SQLite), so labels get a row each;
-- listing one CI's incidents in id order over a million rows needs (ci, id); and a completed
-- post-implementation review records who completed it and when.
CREATE TABLE known_error_labels (
    known_error_id BIGINT NOT NULL REFERENCES known_errors(id),
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    PRIMARY KEY (known_error_id, name)
);
CREATE INDEX known_error_labels_pair ON known_error_labels(name, value);
CREATE INDEX incidents_ci_id ON incidents(ci, id);
ALTER TABLE pirs ADD COLUMN completed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE pirs ADD COLUMN completed_at TIMESTAMPTZ;

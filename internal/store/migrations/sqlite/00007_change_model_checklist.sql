-- +goose Up
-- Why: a completed post-implementation review adds its checklist items to the change model of the changes
-- that deployed its release, so the next similar fix gets the refined checklist (the policy's checklist for
-- the model plus these items). Each item keeps the review it came from and when it was added.
CREATE TABLE change_model_checklist (
    id       INTEGER PRIMARY KEY,
    model    TEXT NOT NULL,
    item     TEXT NOT NULL,
    pir_id   BIGINT NOT NULL REFERENCES pirs(id),
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (model, item)
);

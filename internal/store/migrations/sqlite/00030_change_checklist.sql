-- +goose Up
-- Why: the gate rule `checklist` (issue 14, seed 7.6) requires every item of a change's checklist to be
-- ticked. A tick is an attestation by a named person: who ticked which item of which change, when, with
-- an optional evidence note or link (one row per ticked item; unticking deletes the row, the audit trail
-- keeps both). Before a change is approved the change model's current list applies (the policy's items
-- plus those completed reviews added in change_model_checklist); when it enters scheduled the list is
-- frozen here, so items added to the model afterwards do not change what was approved.
CREATE TABLE change_checklist_ticks (
    change_id BIGINT NOT NULL REFERENCES changes(id),
    item      TEXT NOT NULL,
    ticked_by TEXT NOT NULL,
    ticked_at TEXT NOT NULL,
    evidence  TEXT NOT NULL,
    PRIMARY KEY (change_id, item)
);
CREATE TABLE change_checklist_frozen (
    change_id INTEGER PRIMARY KEY REFERENCES changes(id),
    items     TEXT NOT NULL,
    frozen_by TEXT NOT NULL,
    frozen_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE change_checklist_frozen;
DROP TABLE change_checklist_ticks;

-- +goose Up
-- Why: a CAB meeting has a lifecycle (scheduled → held → closed, or scheduled → canceled) instead of
-- staying scheduled forever. The row keeps when it was held, when and why it was canceled, and when its
-- minutes were done and where they are; a canceled or closed meeting takes no more decisions or attendee
-- changes. Removing an attendee is refused once they recorded a decision in the meeting, which reads the
-- approvals of one meeting: the partial index serves that without growing with the approvals decided
-- outside any meeting.
ALTER TABLE cab_meetings ADD COLUMN held_at TEXT;
ALTER TABLE cab_meetings ADD COLUMN canceled_at TEXT;
ALTER TABLE cab_meetings ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cab_meetings ADD COLUMN closed_at TEXT;
ALTER TABLE cab_meetings ADD COLUMN minutes TEXT NOT NULL DEFAULT '';
CREATE INDEX approvals_meeting ON approvals(meeting_id) WHERE meeting_id IS NOT NULL;

-- +goose Up
-- Why: the CAB board page (issue 12) shows the open meetings and each meeting's agenda, which is built from
-- the changes waiting for authorisation. Both read by status: without an index each page view scanned every
-- meeting and every change ever recorded. With these, the reads stay bounded by what is open, whatever the
-- history.
CREATE INDEX changes_status ON changes(status, id);
CREATE INDEX cab_meetings_status ON cab_meetings(status, scheduled_at);

-- +goose Down
DROP INDEX cab_meetings_status;
DROP INDEX changes_status;

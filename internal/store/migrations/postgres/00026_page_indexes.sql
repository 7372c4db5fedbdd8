-- +goose Up
-- Why: the web pages (issue 12) read bounded slices of history, each through an index, never a scan.
-- The audit log page filters events by actor, by action, by record and by time, newest first (at, then
-- seq), one page at a time: each filter gets an index ending in (at, seq), and the two indexes these
-- replace (record alone, at alone) become their prefixes. The dashboard lists open problems by priority
-- and age, problems under observation by the end of their period, blocked deployments and live ones:
-- partial indexes hold only those rows, so closed history costs nothing. The signature preview reads the
-- incidents of the last 30 days, newest first, through the index on their opening time (00025). A problem's page
-- shows whether it may close (the API's closure check): counting the incidents linked to it and opened
-- during its observation period reads a range of (problem_id, opened_at), not all its incidents.
DROP INDEX audit_events_record;
DROP INDEX audit_events_at;
CREATE INDEX audit_events_record_at ON audit_events(record_type, record_id, at, seq);
CREATE INDEX audit_events_at_seq ON audit_events(at, seq);
CREATE INDEX audit_events_actor ON audit_events(actor, at, seq);
CREATE INDEX audit_events_action ON audit_events(action, at, seq);
CREATE INDEX problems_open ON problems(priority, id) WHERE status IN ('new', 'assess', 'rca', 'fix_in_progress');
CREATE INDEX problems_observing ON problems(observation_until) WHERE status = 'resolved';
CREATE INDEX deployments_blocked ON deployments(id) WHERE status = 'blocked';
CREATE INDEX deployments_active ON deployments(id) WHERE status IN ('running', 'paused', 'rolling_back');
CREATE INDEX incidents_problem_opened ON incidents(problem_id, opened_at);

-- +goose Down
DROP INDEX incidents_problem_opened;
DROP INDEX deployments_active;
DROP INDEX deployments_blocked;
DROP INDEX problems_observing;
DROP INDEX problems_open;
DROP INDEX audit_events_action;
DROP INDEX audit_events_actor;
DROP INDEX audit_events_at_seq;
DROP INDEX audit_events_record_at;
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_record ON audit_events(record_type, record_id);

-- +goose Up
-- Why: the gate rule target_health reads, on every evaluation, the open incidents of the target environment
-- on a few CIs, and the alerts firing there that opened no incident. These partial indexes hold only such
-- rows (open incidents; firing signals without an incident, which are rare: an alert on a known environment
-- and CI opens or joins an incident), so the reads cost nothing for history, and storing a usual alert
-- writes no extra index entry. Alerts with an incident are found through the incident's fingerprint
-- (signals_fingerprint).
CREATE INDEX incidents_open_env_ci ON incidents(env, ci) WHERE status = 'open';
CREATE INDEX signals_firing_alone ON signals(env, ci, id) WHERE status = 'firing' AND incident_id IS NULL;

-- +goose Down
DROP INDEX signals_firing_alone;
DROP INDEX incidents_open_env_ci;

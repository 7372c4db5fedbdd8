-- +goose Up
-- Why: release cycles for recurring problems (issue 13): a sprint or a monthly patch train has a name, a
-- window and target environments, and collects the problems it targets; `fixgate cycle plan` proposes them
-- ranked by recurrence. cycle_problems links a cycle to each targeted problem (who added it and when); the
-- index by problem answers "which cycles already target it" for the plan. incidents_opened_problem lets the
-- plan count the incidents matched to each problem over its look-back window with one bounded, indexed
-- GROUP BY instead of a scan of the whole incident history.
CREATE TABLE cycles (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    envs        TEXT NOT NULL DEFAULT '[]',
    rev         BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX cycles_name ON cycles(name);
CREATE TABLE cycle_problems (
    cycle_id    BIGINT NOT NULL REFERENCES cycles(id),
    problem_id  BIGINT NOT NULL REFERENCES problems(id),
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (cycle_id, problem_id)
);
CREATE INDEX cycle_problems_problem ON cycle_problems(problem_id);
CREATE INDEX incidents_opened_problem ON incidents(opened_at, problem_id);

-- +goose Down
DROP INDEX incidents_opened_problem;
DROP TABLE cycle_problems;
DROP TABLE cycles;

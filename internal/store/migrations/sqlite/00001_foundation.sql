-- +goose Up
-- Why: the foundation schema of every record in DESIGN.md, the audit chain and its head row.
CREATE TABLE users (
    name         TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    roles        TEXT NOT NULL,
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    rev          BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    user_name    TEXT NOT NULL REFERENCES users(name),
    hash         TEXT NOT NULL UNIQUE,
    label        TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX tokens_user ON tokens(user_name);

CREATE TABLE cis (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    criticality TEXT NOT NULL DEFAULT 'medium',
    description TEXT NOT NULL DEFAULT '',
    rev         BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE ci_dependencies (
    ci         TEXT NOT NULL REFERENCES cis(name),
    depends_on TEXT NOT NULL REFERENCES cis(name),
    PRIMARY KEY (ci, depends_on)
);
CREATE INDEX ci_dependencies_rev ON ci_dependencies(depends_on);

CREATE TABLE component_versions (
    id           INTEGER PRIMARY KEY,
    ci           TEXT NOT NULL REFERENCES cis(name),
    version      TEXT NOT NULL,
    digest       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    dependencies TEXT NOT NULL DEFAULT '[]',
    rev          BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (ci, version)
);

CREATE TABLE environments (
    name        TEXT PRIMARY KEY,
    tier        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '[]',
    windows     TEXT NOT NULL DEFAULT '[]',
    freezes     TEXT NOT NULL DEFAULT '[]',
    rev         BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE problems (
    id                 INTEGER PRIMARY KEY,
    title              TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL,
    priority           INTEGER NOT NULL,
    owner              TEXT NOT NULL DEFAULT '',
    category           TEXT NOT NULL DEFAULT '',
    rca_summary        TEXT NOT NULL DEFAULT '',
    rca_doc_sha256     TEXT NOT NULL DEFAULT '',
    rca_author         TEXT NOT NULL DEFAULT '',
    rca_at             TEXT,
    rca_validated_by   TEXT NOT NULL DEFAULT '',
    rca_validated_at   TEXT,
    workaround         TEXT NOT NULL DEFAULT '',
    resolved_by        TEXT NOT NULL DEFAULT '',
    resolved_at        TEXT,
    observation_until  TEXT,
    recurrence_count   INTEGER NOT NULL DEFAULT 0,
    closed_at          TEXT,
    rev                BIGINT NOT NULL,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX problems_status ON problems(status, id);
CREATE TABLE problem_cis (
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    ci         TEXT NOT NULL REFERENCES cis(name),
    PRIMARY KEY (problem_id, ci)
);
CREATE INDEX problem_cis_ci ON problem_cis(ci);
CREATE TABLE problem_envs (
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    env        TEXT NOT NULL REFERENCES environments(name),
    PRIMARY KEY (problem_id, env)
);
CREATE INDEX problem_envs_env ON problem_envs(env);
CREATE TABLE problem_signatures (
    id         INTEGER PRIMARY KEY,
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    matcher    TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX problem_signatures_problem ON problem_signatures(problem_id);

CREATE TABLE incidents (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT,
    title         TEXT NOT NULL,
    source        TEXT NOT NULL,
    ci            TEXT NOT NULL REFERENCES cis(name),
    env           TEXT NOT NULL REFERENCES environments(name),
    severity      INTEGER NOT NULL,
    status        TEXT NOT NULL,
    labels        TEXT NOT NULL DEFAULT '{}',
    fingerprint   TEXT NOT NULL DEFAULT '',
    opened_at     TEXT NOT NULL,
    resolved_at   TEXT,
    problem_id    BIGINT REFERENCES problems(id),
    deployment_id BIGINT,
    rev           BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX incidents_external ON incidents(external_id);
CREATE INDEX incidents_problem ON incidents(problem_id, id);
CREATE INDEX incidents_ci_env ON incidents(ci, env, opened_at);
CREATE INDEX incidents_status ON incidents(status, id);
CREATE INDEX incidents_fingerprint ON incidents(fingerprint);

CREATE TABLE known_errors (
    id          INTEGER PRIMARY KEY,
    problem_id  BIGINT REFERENCES problems(id),
    title       TEXT NOT NULL,
    symptoms    TEXT NOT NULL DEFAULT '',
    root_cause  TEXT NOT NULL DEFAULT '',
    workaround  TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    labels      TEXT NOT NULL DEFAULT '{}',
    rev         BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX known_errors_problem ON known_errors(problem_id);
CREATE TABLE known_error_outcomes (
    id            INTEGER PRIMARY KEY,
    known_error_id BIGINT NOT NULL REFERENCES known_errors(id),
    release_id    BIGINT,
    deployment_id BIGINT,
    outcome       TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT '',
    at            TEXT NOT NULL
);
CREATE INDEX known_error_outcomes_ke ON known_error_outcomes(known_error_id);

CREATE TABLE releases (
    id          INTEGER PRIMARY KEY,
    version     TEXT NOT NULL,
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    notes       TEXT NOT NULL DEFAULT '',
    rev         BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX releases_status ON releases(status, id);
CREATE TABLE release_problems (
    release_id BIGINT NOT NULL REFERENCES releases(id),
    problem_id BIGINT NOT NULL REFERENCES problems(id),
    PRIMARY KEY (release_id, problem_id)
);
CREATE INDEX release_problems_problem ON release_problems(problem_id);
CREATE TABLE release_components (
    release_id           BIGINT NOT NULL REFERENCES releases(id),
    component_version_id BIGINT NOT NULL REFERENCES component_versions(id),
    PRIMARY KEY (release_id, component_version_id)
);
CREATE TABLE artifacts (
    sha256          TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    media_type      TEXT NOT NULL DEFAULT 'application/octet-stream',
    size            BIGINT NOT NULL,
    retention_class TEXT NOT NULL DEFAULT 'standard',
    created_by      TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE TABLE release_artifacts (
    release_id BIGINT NOT NULL REFERENCES releases(id),
    sha256     TEXT NOT NULL REFERENCES artifacts(sha256),
    kind       TEXT NOT NULL,
    PRIMARY KEY (release_id, sha256)
);

CREATE TABLE changes (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    type          TEXT NOT NULL,
    release_id    BIGINT REFERENCES releases(id),
    env           TEXT REFERENCES environments(name),
    change_model  TEXT NOT NULL DEFAULT '',
    risk_class    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    planned_start TEXT,
    planned_end   TEXT,
    deviations    TEXT NOT NULL DEFAULT '[]',
    rev           BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX changes_release ON changes(release_id);

CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY,
    release_id    BIGINT NOT NULL REFERENCES releases(id),
    env           TEXT NOT NULL REFERENCES environments(name),
    change_id     BIGINT REFERENCES changes(id),
    status        TEXT NOT NULL,
    path          TEXT NOT NULL DEFAULT '[]',
    current_stage INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    finished_at   TEXT,
    rev           BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX deployments_env ON deployments(env, finished_at);
CREATE INDEX deployments_release ON deployments(release_id);
CREATE TABLE deployment_events (
    id            INTEGER PRIMARY KEY,
    deployment_id BIGINT NOT NULL REFERENCES deployments(id),
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    links         TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX deployment_events_dep ON deployment_events(deployment_id, id);

CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY,
    record_type TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    record_rev  BIGINT NOT NULL,
    approver    TEXT NOT NULL REFERENCES users(name),
    role        TEXT NOT NULL,
    decision    TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    at          TEXT NOT NULL
);
CREATE INDEX approvals_record ON approvals(record_type, record_id);

CREATE TABLE pirs (
    id                    INTEGER PRIMARY KEY,
    problem_id            BIGINT NOT NULL REFERENCES problems(id),
    release_id            BIGINT REFERENCES releases(id),
    status                TEXT NOT NULL,
    root_cause_eliminated BOOLEAN,
    kpis                  TEXT NOT NULL DEFAULT '{}',
    findings              TEXT NOT NULL DEFAULT '',
    checklist             TEXT NOT NULL DEFAULT '[]',
    rev                   BIGINT NOT NULL,
    created_by            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX pirs_problem ON pirs(problem_id);

CREATE TABLE audit_events (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    role         TEXT NOT NULL,
    action       TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    record_id    TEXT NOT NULL,
    record_rev   BIGINT NOT NULL,
    before_json  TEXT NOT NULL,
    after_json   TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_events_record ON audit_events(record_type, record_id);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

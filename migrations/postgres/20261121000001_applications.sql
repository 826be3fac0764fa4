-- Applications, their sub-requests (the fan-out queue) and the history of every transition.
CREATE TABLE applications (
    id              TEXT PRIMARY KEY,
    bundle_id       TEXT NOT NULL,
    bundle_version  BIGINT NOT NULL,
    status          TEXT NOT NULL,
    data            TEXT NOT NULL,
    services        TEXT NOT NULL,
    verify_code     TEXT NOT NULL UNIQUE,
    submitted_by    TEXT,
    institution     TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE sub_requests (
    id               TEXT PRIMARY KEY,
    application_id   TEXT NOT NULL REFERENCES applications (id),
    service_id       TEXT NOT NULL,
    item             BIGINT NOT NULL DEFAULT 0,
    position         BIGINT NOT NULL,
    status           TEXT NOT NULL,
    depends_on       TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    outputs          TEXT,
    error            TEXT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    updated_at       BIGINT NOT NULL,
    UNIQUE (application_id, service_id, item)
);

CREATE INDEX sub_requests_claimable ON sub_requests (status, next_attempt_at);
CREATE INDEX sub_requests_by_application ON sub_requests (application_id);

CREATE TABLE status_history (
    id              BIGSERIAL PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    service_id      TEXT,
    status          TEXT NOT NULL,
    detail          TEXT,
    at              BIGINT NOT NULL
);

CREATE INDEX status_history_by_application ON status_history (application_id, id);

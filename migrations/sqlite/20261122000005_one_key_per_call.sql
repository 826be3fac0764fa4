-- A call's idempotency key is `application:service:item`, which the UNIQUE (application_id,
-- service_id, item) already keeps unique: its own unique index only cost a write on every insert
-- (about 9 % of the pages a commit wrote). The history's AUTOINCREMENT wrote `sqlite_sequence` in
-- every commit (4 %); nothing is ever deleted from the history, so a plain INTEGER PRIMARY KEY
-- (the largest id plus one) numbers it the same. SQLite drops neither in place: both tables are
-- rebuilt, rows and ids kept (https://sqlite.org/lang_altertable.html#otheralter; no table refers
-- to either of them).
CREATE TABLE sub_requests_rebuilt (
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
    idempotency_key  TEXT NOT NULL,
    updated_at       BIGINT NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'service',
    failures         BIGINT NOT NULL DEFAULT 0,
    callback_token   TEXT,
    poll_url         TEXT,
    deadline         BIGINT,
    claimed_by       TEXT,
    UNIQUE (application_id, service_id, item)
);

INSERT INTO sub_requests_rebuilt (id, application_id, service_id, item, position, status, depends_on,
    attempts, next_attempt_at, locked_until, outputs, error, idempotency_key, updated_at, kind,
    failures, callback_token, poll_url, deadline, claimed_by)
SELECT id, application_id, service_id, item, position, status, depends_on, attempts,
    next_attempt_at, locked_until, outputs, error, idempotency_key, updated_at, kind, failures,
    callback_token, poll_url, deadline, claimed_by
FROM sub_requests;

DROP TABLE sub_requests;
ALTER TABLE sub_requests_rebuilt RENAME TO sub_requests;

CREATE UNIQUE INDEX sub_requests_by_callback_token ON sub_requests (callback_token);
CREATE INDEX sub_requests_due ON sub_requests (status, next_attempt_at)
    WHERE status IN ('ready', 'awaiting', 'running');

CREATE TABLE status_history_rebuilt (
    id              INTEGER PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    service_id      TEXT,
    status          TEXT NOT NULL,
    detail          TEXT,
    at              BIGINT NOT NULL
);

INSERT INTO status_history_rebuilt (id, application_id, service_id, status, detail, at)
SELECT id, application_id, service_id, status, detail, at FROM status_history;

DROP TABLE status_history;
ALTER TABLE status_history_rebuilt RENAME TO status_history;

CREATE INDEX status_history_by_application ON status_history (application_id, id);

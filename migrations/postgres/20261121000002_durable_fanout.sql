-- Durable fan-out: waiting on registries (202, callbacks, polling) and people (human steps),
-- consecutive failures apart from attempts, who claimed a sub-request last, and submission keys.
ALTER TABLE sub_requests ADD COLUMN kind TEXT NOT NULL DEFAULT 'service';
ALTER TABLE sub_requests ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sub_requests ADD COLUMN callback_token TEXT;
ALTER TABLE sub_requests ADD COLUMN poll_url TEXT;
ALTER TABLE sub_requests ADD COLUMN deadline BIGINT;
ALTER TABLE sub_requests ADD COLUMN claimed_by TEXT;

CREATE UNIQUE INDEX sub_requests_by_callback_token ON sub_requests (callback_token);

-- A submission's Idempotency-Key: the request it was first used with, and the first answer once
-- the application is stored (NULL while it is being stored).
CREATE TABLE submission_keys (
    key             TEXT PRIMARY KEY,
    request_hash    TEXT NOT NULL,
    application_id  TEXT REFERENCES applications (id),
    response        TEXT,
    created_at      BIGINT NOT NULL
);

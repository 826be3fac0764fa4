-- The message log (issue 26): for each exchange with a registry, its message id (`xrd:id`,
-- `Uxp-QueryID` or the `Idempotency-Key`), the protocol, the SHA-256 of the request's and the
-- answer's bytes and when each went: the evidence X-Road keeps for disputes, kept with the call.
-- No personal data: a hash proves what was sent to whoever holds the message, and tells nothing
-- to whoever does not. Purging an application's data keeps it.
CREATE TABLE registry_messages (
    id              INTEGER PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    -- The call: `service#item`.
    call_key        TEXT NOT NULL,
    -- The attempt it was (sub_requests.attempts when it went).
    attempt         BIGINT NOT NULL,
    protocol        TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    -- NULL: no answer came (a timeout, a refused connection).
    response_hash   TEXT,
    http_status     BIGINT,
    sent_at         BIGINT NOT NULL,
    answered_at     BIGINT NOT NULL
);

CREATE INDEX registry_messages_by_application ON registry_messages (application_id, id);

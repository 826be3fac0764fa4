-- One-time codes that prove who confirms a human step (issue 22): at most one per step, kept as
-- an HMAC of the code under the server's secret (a six-digit code's plain hash would be
-- guessed from the table in a moment), valid until `expires_at`, used once. Wrong or missing
-- codes are counted across codes; at the limit the step is `locked` until the applicant asks
-- for a new invitation. `sends` and `last_sent_at` pace the sending; `reminded_at` marks the
-- reminder before the deadline.
CREATE TABLE confirmation_codes (
    sub_request_id  TEXT PRIMARY KEY REFERENCES sub_requests (id),
    code_hmac       TEXT,
    expires_at      BIGINT,
    wrong_tries     BIGINT NOT NULL DEFAULT 0,
    locked          BIGINT NOT NULL DEFAULT 0,
    sends           BIGINT NOT NULL DEFAULT 0,
    last_sent_at    BIGINT,
    reminded_at     BIGINT
);

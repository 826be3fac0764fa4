-- The audit trail (issue 23): one append-only, hash-chained list of who read or changed what.
-- `seq` numbers the entries without gaps; `hash` is the SHA-256 of the entry's content and of
-- `prev_hash`, the hash of the entry before it (see src/audit/chain.rs). `repeats` and `last_at`
-- count further reads of the same application by the same actor within five minutes and are
-- outside the hash. `audit_head` holds the last number and hash: appending locks it (always the
-- last lock a transaction takes), so entries are numbered in commit order, and removing the
-- newest entries shows against it.
CREATE TABLE audit (
    seq             BIGINT PRIMARY KEY,
    at              BIGINT NOT NULL,
    actor           TEXT NOT NULL,
    role            TEXT,
    institution     TEXT,
    action          TEXT NOT NULL,
    application_id  TEXT,
    detail          TEXT NOT NULL,
    request_id      TEXT,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    repeats         BIGINT NOT NULL DEFAULT 0,
    last_at         BIGINT
);

-- "Who saw my data" and an auditor's search by application; a supervisor's by institution.
CREATE INDEX audit_by_application ON audit (application_id, seq) WHERE application_id IS NOT NULL;
CREATE INDEX audit_by_institution ON audit (institution, seq) WHERE institution IS NOT NULL;

CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- People (issue 22): institutions, the staff who act for them, the credentials that stand for a
-- signed-in person or a machine client, a citizen's access to their own application, and who
-- corrected what. Every secret is kept only as its SHA-256 (hex): the table never holds a
-- token that would let its reader in. Passwords are argon2id hashes (PHC strings).
CREATE TABLE institutions (
    id          TEXT PRIMARY KEY,
    title_uk    TEXT NOT NULL,
    title_en    TEXT NOT NULL,
    -- The bundles it offers, a JSON array of bundle ids.
    bundles     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    login          TEXT PRIMARY KEY,
    -- NULL only for an admin or an auditor who answers for no one institution.
    institution    TEXT REFERENCES institutions (id),
    role           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    -- Wrong passwords in a row, and the end of the lockout they caused.
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- A session (a person signed in) or a machine client's token, by the SHA-256 of its secret.
-- A session's institution and role are its user's (read through the join, so a change applies
-- at once); a token carries its own.
CREATE TABLE credentials (
    hash          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    login         TEXT REFERENCES users (login),
    name          TEXT,
    institution   TEXT REFERENCES institutions (id),
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);

CREATE INDEX credentials_by_login ON credentials (login) WHERE login IS NOT NULL;
CREATE UNIQUE INDEX credentials_by_token_name ON credentials (name) WHERE name IS NOT NULL;

-- A citizen's private access to the application they submitted without an account.
ALTER TABLE applications ADD COLUMN access_hash TEXT;
CREATE UNIQUE INDEX applications_by_access ON applications (access_hash)
    WHERE access_hash IS NOT NULL;

-- Every correction of an application's data before a retry: the patch and who made it.
CREATE TABLE corrections (
    id              BIGSERIAL PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    service_id      TEXT NOT NULL,
    item            BIGINT,
    patch           TEXT,
    author          TEXT NOT NULL,
    at              BIGINT NOT NULL
);

CREATE INDEX corrections_by_application ON corrections (application_id, id);

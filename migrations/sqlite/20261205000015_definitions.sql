-- Bundle versions pinned (issue 25): the files each bundle version was compiled from, stored on
-- first use, so an application runs to its end under the definitions it was submitted with.
-- A version's files never change: a server whose files differ for a stored version refuses to
-- start.
CREATE TABLE bundle_versions (
    bundle_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    content_hash TEXT NOT NULL,
    -- A JSON object: path relative to the definitions' root → the file's text.
    files TEXT NOT NULL,
    stored_at BIGINT NOT NULL,
    PRIMARY KEY (bundle_id, version)
);

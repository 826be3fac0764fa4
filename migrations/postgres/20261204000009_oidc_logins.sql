-- A sign-in through the OpenID provider under way (issue 22): the `state` sent to the provider
-- (by its SHA-256), the nonce and PKCE verifier to check its answer with, and the page to return
-- to. Taken once, by whichever instance the browser comes back to; gone after ten minutes.
CREATE TABLE oidc_logins (
    state_hash  TEXT PRIMARY KEY,
    nonce       TEXT NOT NULL,
    verifier    TEXT NOT NULL,
    next        TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);

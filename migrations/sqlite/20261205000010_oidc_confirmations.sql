-- A person confirming a human step may prove who they are by signing in through the OpenID
-- provider (issue 22): the sign-in under way then names the confirmation link it serves, and
-- its answer is checked against the RNOKPP the application gives for that person.
ALTER TABLE oidc_logins ADD COLUMN confirming TEXT;

-- A staff account that is disabled (issue 22: a supervisor's clerk who left, an admin's
-- offboarding) keeps its row — its login stays in the history and corrections it signed — but
-- signs in no more, by password or through the identity provider; its sessions were revoked
-- when it was disabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- A password someone else chose or generated for the account (the first run's table, `user add
-- --generate-password`, a supervisor's new clerk) is one-time: until its owner sets their own,
-- a session of the account may only change the password (OWASP ASVS: an initial password must
-- not become the long-term one).
ALTER TABLE users ADD COLUMN password_one_time BIGINT NOT NULL DEFAULT 0;

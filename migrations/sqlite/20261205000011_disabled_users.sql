-- A staff account that is disabled (issue 22: a supervisor's clerk who left, an admin's
-- offboarding) keeps its row — its login stays in the history and corrections it signed — but
-- signs in no more, by password or through the identity provider; its sessions were revoked
-- when it was disabled.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;

-- Retention (issue 23): when an application's personal data was removed, its retention over.
-- The row stays with its statuses, times and check code; its data is `{}`.
ALTER TABLE applications ADD COLUMN purged_at BIGINT;
-- Each row's check code as the receipt printed it, kept at the purge: the code is made over the
-- registry's reference, which is removed with the rest, and the verify page must still show
-- the codes a paper receipt carries.
ALTER TABLE sub_requests ADD COLUMN check_code TEXT;

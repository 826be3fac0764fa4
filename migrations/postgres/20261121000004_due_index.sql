-- The claim looks only for ready, awaiting and running calls: an index of those alone stays as
-- small as the work in hand, however many calls have ended, and a call that ends (or waits for
-- another) writes no entry in it. The claim's condition names the index's (`store::queue::DUE`).
DROP INDEX sub_requests_claimable;
CREATE INDEX sub_requests_due ON sub_requests (status, next_attempt_at)
    WHERE status IN ('ready', 'awaiting', 'running');

-- The history is read by application, in order: its key is (application_id, id), one index
-- instead of that and another on id alone, which cost a write on each of its rows (21 for a
-- full birth). On SQLite `id` is the row id itself, and the table has one index already.
CREATE UNIQUE INDEX status_history_key ON status_history (application_id, id);
ALTER TABLE status_history DROP CONSTRAINT status_history_pkey;
ALTER TABLE status_history ADD CONSTRAINT status_history_pkey PRIMARY KEY USING INDEX status_history_key;
DROP INDEX status_history_by_application;

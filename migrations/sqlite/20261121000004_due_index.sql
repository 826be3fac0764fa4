-- The claim looks only for ready, awaiting and running calls: an index of those alone stays as
-- small as the work in hand, however many calls have ended, and a call that ends (or waits for
-- another) writes no entry in it. The claim's condition names the index's (`store::queue::DUE`).
DROP INDEX sub_requests_claimable;
CREATE INDEX sub_requests_due ON sub_requests (status, next_attempt_at)
    WHERE status IN ('ready', 'awaiting', 'running');

-- Registry outages (issue 21). A call's transient failures are retried until a time budget runs
-- out, counted from when its current run of failures began: `failing_since` (NULL while it is
-- not failing). A registry that keeps failing is *unavailable* for every instance sharing the
-- database: its row here is `open` (its calls are held, one probe at a time goes out at
-- `probe_at`, the interval growing up to a cap), until a call to it is answered and the row is
-- `closed` again. One row per registry that was ever unavailable; a handful at most.
ALTER TABLE sub_requests ADD COLUMN failing_since BIGINT;

CREATE TABLE registry_circuits (
    registry           TEXT PRIMARY KEY,
    state              TEXT NOT NULL,
    opened_at          BIGINT NOT NULL,
    probe_at           BIGINT NOT NULL,
    probe_interval_ms  BIGINT NOT NULL,
    probes             BIGINT NOT NULL DEFAULT 0,
    updated_at         BIGINT NOT NULL
);

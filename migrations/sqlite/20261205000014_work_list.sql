-- The staff's work list (issue 24). Each application's `stage` as a clerk reads it at a glance —
-- `attention` (a service failed or is blocked, a person's step declined or expired), `person`
-- (a person's step is open), `progress`, `done` — kept by the store whenever its calls change
-- (`lifecycle::work`), and `attention_at`: when it needs attention anyway unless something
-- ends first (a person's step past half its time, a call retrying for an hour). A call's own
-- `attention_at` is that time for the call.
ALTER TABLE applications ADD COLUMN stage TEXT;
ALTER TABLE applications ADD COLUMN attention_at BIGINT;
-- A second registration the clerk confirmed: the applications it repeats and the reason given
-- (JSON), removed with the rest of the personal data.
ALTER TABLE applications ADD COLUMN duplicate_note TEXT;
ALTER TABLE sub_requests ADD COLUMN attention_at BIGINT;

-- The applications as they stand, summed up from their calls once, here; new ones get theirs
-- from the store.
UPDATE applications SET stage = CASE
    WHEN EXISTS (SELECT 1 FROM sub_requests AS s WHERE s.application_id = applications.id
                 AND s.status IN ('failed', 'blocked')) THEN 'attention'
    WHEN status <> 'in_progress' THEN 'done'
    WHEN EXISTS (SELECT 1 FROM sub_requests AS s WHERE s.application_id = applications.id
                 AND s.kind = 'human' AND s.status = 'awaiting') THEN 'person'
    ELSE 'progress' END;

-- The list, newest first, of an institution's applications and of one stage of them; the dates
-- filter both. (A citizen's online application belongs to no institution and to no list.)
CREATE INDEX applications_by_institution ON applications (institution, created_at, id);
CREATE INDEX applications_by_stage ON applications (institution, stage, created_at, id);
CREATE INDEX applications_attention ON applications (institution, attention_at)
    WHERE attention_at IS NOT NULL;

-- What the list's search finds an application by, normalised (lower case, one apostrophe):
-- its number, the surnames, RNOKPPs and document numbers its bundle names (`work_list.search`).
-- Looked up by prefix within the institution; none for a citizen's online application. Removed
-- with the personal data.
CREATE TABLE application_terms (
    institution     TEXT NOT NULL,
    term            TEXT NOT NULL,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    PRIMARY KEY (institution, term, application_id)
) WITHOUT ROWID;

-- The keys a bundle's `duplicates` rules make of an application's data (keyed digests, not the
-- values), across institutions: a second registration of one birth is found wherever the
-- first was made. Removed with the personal data.
CREATE TABLE duplicate_keys (
    key             TEXT NOT NULL,
    application_id  TEXT NOT NULL REFERENCES applications (id),
    PRIMARY KEY (key, application_id)
) WITHOUT ROWID;

-- The applications stored before the work list, to be given their terms and keys once by
-- `serve` at start (`Applications::index_unindexed`), each row removed when done.
CREATE TABLE work_list_backfill (
    application_id  TEXT PRIMARY KEY REFERENCES applications (id)
);
INSERT INTO work_list_backfill (application_id)
    SELECT id FROM applications WHERE purged_at IS NULL;

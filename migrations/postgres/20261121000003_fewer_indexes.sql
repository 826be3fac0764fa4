-- The unique index on (application_id, service_id, item) already finds an application's
-- sub-requests; this one only cost a write on every insert.
DROP INDEX sub_requests_by_application;

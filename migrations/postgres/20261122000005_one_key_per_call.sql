-- A call's idempotency key is `application:service:item`, which the UNIQUE (application_id,
-- service_id, item) already keeps unique: its own unique index only cost a write on every insert.
ALTER TABLE sub_requests DROP CONSTRAINT sub_requests_idempotency_key_key;

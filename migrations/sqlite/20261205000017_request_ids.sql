-- The id of the request that submitted an application (the server's X-Request-Id), carried
-- into the log lines of its registry calls and sent to the registries with them.
ALTER TABLE applications ADD COLUMN request_id TEXT;

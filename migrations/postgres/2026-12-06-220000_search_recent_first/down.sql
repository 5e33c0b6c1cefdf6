CREATE INDEX messages_search ON messages USING gin (search);
DROP INDEX messages_search_recent;
DROP FUNCTION baton_search_buckets(TIMESTAMP);

-- Databases made by an earlier Baton have the plain GIN index over `search` that
-- `messages_search_recent` replaced; newer ones never build it.
DROP INDEX IF EXISTS messages_search;

-- A concurrent build of `messages_search_recent` that was interrupted (a restart, a cancelled
-- start) leaves it INVALID, and `search_recent_index`'s IF NOT EXISTS then skips it: it is
-- built again here, in this transaction.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index
               WHERE indexrelid = to_regclass('messages_search_recent') AND NOT indisvalid) THEN
        DROP INDEX messages_search_recent;
        CREATE INDEX messages_search_recent ON messages
            USING gin ((search || baton_search_buckets(recorded_at)));
    END IF;
END
$$;

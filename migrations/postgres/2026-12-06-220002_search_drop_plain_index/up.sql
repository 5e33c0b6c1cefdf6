-- Databases made by an earlier Baton have the plain GIN index over `search` that
-- `messages_search_recent` replaced; newer ones never build it.
DROP INDEX IF EXISTS messages_search;

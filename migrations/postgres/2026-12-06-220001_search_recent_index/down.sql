DROP INDEX IF EXISTS messages_search_recent;

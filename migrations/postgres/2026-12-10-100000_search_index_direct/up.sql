-- A new message's words go straight into the search index, not into its pending list. With the
-- list, whichever turn finds it full merges it while its customer waits (the turn gate's p99.9
-- at 64 clients was 22 ms with it, 12 ms without: docs/PERFORMANCE.md), every insert also
-- rewrites the index's metapage in the WAL, and every search reads the whole list. The lock
-- this takes lets writes go on; what is pending now is merged once, here.
ALTER INDEX messages_search_recent SET (fastupdate = off);
SELECT gin_clean_pending_list('messages_search_recent'::regclass);

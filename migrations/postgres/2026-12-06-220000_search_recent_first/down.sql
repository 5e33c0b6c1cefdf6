DROP FUNCTION baton_search_buckets(TIMESTAMP);

-- Newest-first search on PostgreSQL (db::search). GIN returns matches unordered, so a word found
-- in thousands of messages used to cost a walk of the newest messages or a sort of all of its
-- matches. Each message's index entry now also holds two time lexemes, its hour and its day
-- ('~h<hours since 1970>', '~d<days since 1970>'; '~' never appears in a lexeme of the 'simple'
-- configuration, and a search's words cannot produce one), so a search can ask the index for
-- "these words, in these hours or days" and widen the window only as far as it needs.
CREATE FUNCTION baton_search_buckets(at TIMESTAMP) RETURNS tsvector
    IMMUTABLE PARALLEL SAFE LANGUAGE sql AS $$
    SELECT array_to_tsvector(ARRAY[
        '~h' || floor(extract(epoch FROM at) / 3600)::bigint::text,
        '~d' || floor(extract(epoch FROM at) / 86400)::bigint::text])
$$;
-- The index itself is built by the next migration, `search_recent_index`: concurrently, so
-- that turns go on being recorded while it reads every message.
